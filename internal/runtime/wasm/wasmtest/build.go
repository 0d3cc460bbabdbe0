package wasmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildGo builds the Go main package pkg (a path go build understands, run
// in dir) for GOOS=wasip1 into out: a reactor (-buildmode=c-shared, for
// guests of the guest/wasm package) or a command.
func BuildGo(dir, pkg, out string, reactor bool) error {
	args := []string{"build", "-o", out}
	if reactor {
		args = append(args, "-buildmode=c-shared")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("wasmtest: go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// WriteModule writes a module's bytes to dir/name and returns the path.
func WriteModule(dir, name string, module []byte) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, module, 0o644); err != nil {
		return "", fmt.Errorf("wasmtest: %w", err)
	}
	return p, nil
}
