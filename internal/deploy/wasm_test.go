package deploy

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime/wasm"
	"github.com/updraft-dev/updraft/internal/runtime/wasm/wasmtest"
)

// TestDeployWasm: runtime wasm's handler defaults to the only .wasm file;
// the module is compiled at deploy by the wasm runtime, and a module it
// cannot run is refused with the reason.
func TestDeployWasm(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	w, err := wasm.New(ctx, wasm.Config{CacheDir: t.TempDir(), ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	e.dep.SetModuleCheck(w.Check)
	echo := string(wasmtest.EchoCommand())

	f, _, err := e.dep.Deploy(ctx, "default", Request{Name: "only", Runtime: "wasm",
		Zip: makeZip(t, zipEntry{name: "build/echo.wasm", body: echo}, zipEntry{name: "README.md", body: "x"})})
	if err != nil {
		t.Fatal(err)
	}
	if f.Runtime != fn.RuntimeWasm || f.Handler != "build/echo.wasm" || f.LambdaRuntime() != "wasm" {
		t.Fatalf("runtime %q, handler %q, Lambda runtime %q", f.Runtime, f.Handler, f.LambdaRuntime())
	}
	f, _, err = e.dep.Deploy(ctx, "default", Request{Name: "named", Runtime: "wasm", Handler: "./b.wasm",
		Zip: makeZip(t, zipEntry{name: "a.wasm", body: echo}, zipEntry{name: "b.wasm", body: echo})})
	if err != nil || f.Handler != "b.wasm" {
		t.Fatalf("deploy with a handler: %v, handler %q", err, f.Handler)
	}
	for _, c := range []struct {
		name, handler string
		zip           []zipEntry
		want          string
	}{
		{"two-modules", "", []zipEntry{{name: "a.wasm", body: echo}, {name: "b.wasm", body: echo}}, "2 .wasm files"},
		{"none", "", []zipEntry{{name: "a.txt", body: "x"}}, "none found"},
		{"missing", "c.wasm", []zipEntry{{name: "a.wasm", body: echo}}, "names no file"},
		{"not-wasm", "", []zipEntry{{name: "a.wasm", body: "hello"}}, "not valid WebAssembly"},
		{"import", "", []zipEntry{{name: "a.wasm", body: string(wasmtest.UnknownImportCommand())}}, "env.launch_missiles"},
	} {
		_, _, err := e.dep.Deploy(ctx, "default", Request{Name: c.name, Runtime: "wasm", Handler: c.handler, Zip: makeZip(t, c.zip...)})
		if fe := wantErr(t, err, fn.TypeInvalidParameterValue, http.StatusBadRequest); !strings.Contains(fe.Message, c.want) {
			t.Errorf("%s: %q, want it to say %q", c.name, fe.Message, c.want)
		}
		if _, err := e.reg.GetFunction(ctx, "default", c.name); !fn.IsNotFound(err) {
			t.Errorf("%s: refused, yet stored (%v)", c.name, err)
		}
	}
}
