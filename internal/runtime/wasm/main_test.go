package wasm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/runtime/wasm/wasmtest"
)

// guests is the directory of the test guests, built once by TestMain:
// reactor.wasm and command.wasm (Go, GOOS=wasip1, from testdata) and the
// hand-assembled modules of wasmtest.
var guests string

// cacheDir is the compilation cache every test's runtime shares: a Go
// guest is compiled once per test binary.
var cacheDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wasm-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	guests, cacheDir = filepath.Join(dir, "guests"), filepath.Join(dir, "cache")
	if err := buildGuests(guests); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func buildGuests(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := wasmtest.BuildGo(".", "./testdata/reactor", filepath.Join(dir, "reactor.wasm"), true); err != nil {
		return err
	}
	if err := wasmtest.BuildGo(".", "./testdata/command", filepath.Join(dir, "command.wasm"), false); err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		"echo.wasm":      wasmtest.EchoCommand(),
		"trap.wasm":      wasmtest.TrapCommand(),
		"big.wasm":       wasmtest.BigMemoryCommand(4096), // 256 MB
		"import.wasm":    wasmtest.UnknownImportCommand(),
		"recursion.wasm": wasmtest.RecursionReactor(),
	} {
		if _, err := wasmtest.WriteModule(dir, name, b); err != nil {
			return err
		}
	}
	return nil
}

// newRuntime returns a runtime on the shared cache, closed with the test.
func newRuntime(t testing.TB) *Runtime {
	t.Helper()
	r, err := New(context.Background(), Config{CacheDir: cacheDir, ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// spec is a function running module (a file in guests) as fixture.
func spec(module, fixture string) runtime.Spec {
	name := "wasm-" + fixture
	return runtime.Spec{
		Tenant: "t1", Function: name, Version: fn.LatestVersion, ARN: fn.ARN("t1", name, ""),
		Runtime: fn.RuntimeWasm, Handler: module, CodeDir: guests,
		MemoryMB: 128, Timeout: 3 * time.Second, Env: map[string]string{"FIXTURE": fixture},
	}
}

// start starts an instance of spec, closed with the test.
func start(t *testing.T, r *Runtime, s runtime.Spec) *instance {
	t.Helper()
	inst, err := r.NewInstance(context.Background(), s)
	if err != nil {
		t.Fatalf("NewInstance(%s, %s): %v", s.Handler, s.Env["FIXTURE"], err)
	}
	t.Cleanup(func() { inst.Close(context.Background()) })
	return inst.(*instance)
}

// call invokes event on inst with a deadline timeout from now.
func call(t *testing.T, inst runtime.Instance, event string, timeout time.Duration) *runtime.Response {
	t.Helper()
	resp, err := inst.Invoke(context.Background(), &runtime.Request{
		ID: "8f4e2b3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", Payload: []byte(event), Deadline: time.Now().Add(timeout),
	})
	if err != nil {
		t.Fatalf("Invoke %.60s: %v", event, err)
	}
	return resp
}
