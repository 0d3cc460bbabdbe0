package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/store"
)

// Check checks the store of cfg's data directory offline, fully (every
// message, every code object) and changes nothing: `updraft admin check`.
// It fails when a server has the store open.
func Check(ctx context.Context, cfg config.Config) (*registry.CheckReport, error) {
	if fi, err := os.Stat(cfg.StoreDir()); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s holds no store (no directory %s): is this the server's --data-dir?", cfg.DataDir, cfg.StoreDir())
	}
	// The report carries every storage warning of the server's log.
	st, err := store.Open(ctx, store.Config{Dir: cfg.StoreDir(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	rep, err := registry.Check(ctx, st, registry.CheckOptions{})
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return rep, err
}

// RotateMasterKey replaces the master key of cfg's data directory and
// seals every sealed value again under the new one, offline: `updraft
// admin rotate-master-key`. It fails when a server has the store open.
func RotateMasterKey(ctx context.Context, cfg config.Config) (*registry.Rotation, error) {
	if fi, err := os.Stat(cfg.StoreDir()); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s holds no store (no directory %s): is this the server's --data-dir?", cfg.DataDir, cfg.StoreDir())
	}
	if _, err := os.Stat(cfg.MasterKeyPath()); err != nil {
		return nil, fmt.Errorf("no master key at %s: nothing to rotate", cfg.MasterKeyPath())
	}
	st, err := store.Open(ctx, store.Config{Dir: cfg.StoreDir(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// As a start does: refuse a damaged store, and record the state after
	// the rotation as the one the next start expects.
	if err := registry.CheckAtStart(ctx, st, registry.StartCheck{DataDir: cfg.DataDir, Log: slog.New(slog.DiscardHandler)}); err != nil {
		return nil, err
	}
	reg, err := registry.New(ctx, st)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	if err := reg.UseMasterKey(cfg.MasterKeyPath()); err != nil {
		return nil, err
	}
	return reg.RotateMasterKey(ctx, cfg.MasterKeyPath())
}
