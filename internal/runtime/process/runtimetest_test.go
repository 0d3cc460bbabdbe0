package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/runtime/runtimetest"
)

// TestConformance runs the runtimetest suite on the process runtime in
// each of its engines: a provided bootstrap (aws-lambda-go), Python and
// Node.js. The fixtures are in testdata/fixture.
func TestConformance(t *testing.T) {
	goDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(goDir, "bootstrap"), "./testdata/fixture")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the fixture: %v\n%s", err, out)
	}
	for _, engine := range []struct {
		runtime, dir string
		handler      func(runtimetest.Fixture) string
	}{
		{fn.RuntimeProvided, goDir, func(f runtimetest.Fixture) string { return string(f) }},
		{fn.RuntimePython, copyDir(t, "testdata/fixture/python"), moduleHandler},
		{fn.RuntimeNode, copyDir(t, "testdata/fixture/node"), moduleHandler},
	} {
		t.Run(engine.runtime, func(t *testing.T) {
			runtimetest.Run(t, runtimetest.Harness{
				NewRuntime: func(t *testing.T) runtime.Runtime { return newRuntime(t) },
				Spec: func(t *testing.T, f runtimetest.Fixture) runtime.Spec {
					name := "fixture-" + string(f)
					return runtime.Spec{
						Tenant: "t1", Function: name, Version: fn.LatestVersion, ARN: fn.ARN("t1", name, ""),
						Runtime: engine.runtime, Handler: engine.handler(f), CodeDir: engine.dir,
						MemoryMB: 256, Timeout: 3 * time.Second,
					}
				},
				Stopped: func(t *testing.T, inst runtime.Instance) bool {
					return procState(inst.(*instance).pid) == ""
				},
			})
		})
	}
}

// moduleHandler is fixture f's handler in the Python and Node.js fixtures.
func moduleHandler(f runtimetest.Fixture) string {
	if f == runtimetest.InitFail {
		return "initfail.handler"
	}
	return "fixture." + string(f)
}

// copyDir copies the files of src to a temporary dir: an interpreter may
// write next to its code (__pycache__), never into testdata.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
