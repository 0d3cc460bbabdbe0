package deploy

import (
	"context"
	"path"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// ModuleCheck validates and compiles a Wasm module at deploy time (the wasm
// runtime's Check): an error, an InvalidParameterValueException, says why
// the module cannot run.
type ModuleCheck func(ctx context.Context, code []byte) error

// SetModuleCheck makes deploys of runtime wasm validate and compile their
// module with check. Without one, only the module's presence is checked.
// Call it before the first deploy.
func (d *Deployer) SetModuleCheck(check ModuleCheck) { d.moduleCheck = check }

// checkWasm finds f's module — its handler, or else the only .wasm file in
// the code, which becomes the handler — and has it checked.
func (d *Deployer) checkWasm(ctx context.Context, a *archive, f *fn.Function) error {
	if f.Handler == "" {
		var found []string
		for p := range a.files {
			if strings.HasSuffix(p, ".wasm") {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 0:
			return fn.InvalidParameter("runtime wasm needs a .wasm module in the code: none found")
		case 1:
			f.Handler = found[0]
		default:
			return fn.InvalidParameter("the code holds %d .wasm files: name the module with --handler or handler: in %s", len(found), ManifestFile)
		}
	}
	p := path.Clean(strings.TrimPrefix(f.Handler, "./"))
	if a.file(p) == nil {
		return fn.InvalidParameter("handler %q names no file in the code: runtime wasm's handler is the module's path, e.g. handler.wasm", f.Handler)
	}
	f.Handler = p
	if d.moduleCheck == nil {
		return nil
	}
	code, err := a.readFile(p, fn.MaxUnzippedBytes)
	if err != nil {
		return err
	}
	return d.moduleCheck(ctx, code)
}
