package daemon

import (
	"context"
	"path/filepath"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/runtime/wasm"
)

// startWasm opens the Wasm runtime (its compiled modules cached under the
// data dir, so a restart does not compile them again), has deploys of
// runtime wasm compile their module, and returns the runtime the pool
// starts instances on: process functions on proc, wasm ones on wazero.
func (d *Daemon) startWasm(ctx context.Context, cfg config.Config, dep *deploy.Deployer, proc runtime.Runtime) (runtime.Runtime, error) {
	w, err := wasm.New(ctx, wasm.Config{
		CacheDir:   filepath.Join(cfg.DataDir, "wasm", "cache"),
		ScratchDir: filepath.Join(cfg.DataDir, "wasm", "tmp"),
		Log:        d.log,
	})
	if err != nil {
		return nil, err
	}
	d.onClose(w.Close)
	dep.SetModuleCheck(w.Check)
	return runtime.NewMux(proc, map[string]runtime.Runtime{fn.RuntimeWasm: w}), nil
}
