package deploy

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCacheKeepsGoToolingOut: with the data dir inside a Go module (the
// quick start's ./updraft-data in a checkout), `go vet ./...` does not
// walk into deployed code, even code that does not compile.
func TestCacheKeepsGoToolingOut(t *testing.T) {
	e := newEnv(t)
	mod := t.TempDir()
	for name, body := range map[string]string{
		"go.mod": "module example.test/m\n\ngo 1.22\n",
		"m.go":   "package m\n\n// M is here so that ./... matches a package.\nconst M = 1\n",
	} {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(mod, "updraft-data", "code")
	t.Cleanup(func() { removeTree(cache) })
	dep, err := New(e.reg, cache, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	zip := makeZip(t, zipEntry{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o755},
		zipEntry{name: "main.go", body: "package main\n\nfunc main( {\n"})
	f, _, err := dep.Deploy(context.Background(), "t1", Request{Name: "gofn", Runtime: "provided.al2023", Zip: zip, IgnoreManifest: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, f.CodeSHA256, "main.go")); err != nil {
		t.Fatalf("the deployed Go file is not in the cache: %v", err)
	}
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = mod
	vet.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go vet ./... in the enclosing module walked into deployed code: %v\n%s", err, out)
	}
	// A second New keeps the marker as it is.
	if _, err := New(e.reg, cache, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
}
