package wasm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/updraft-dev/updraft/internal/runtime"
)

// Config configures a Runtime.
type Config struct {
	// CacheDir keeps compiled modules on disk (wazero's compilation
	// cache), so a restart does not compile them again; "" keeps them in
	// memory only.
	CacheDir string
	// ScratchDir holds each instance's /tmp, a directory removed when the
	// instance closes; "" is the OS's temporary directory.
	ScratchDir string
	// InitTimeout bounds a reactor's _initialize. Default 10s, like Lambda.
	InitTimeout time.Duration
	Log         *slog.Logger
}

// tmpPrefix starts the name of every instance's /tmp directory.
const tmpPrefix = "wasm-tmp-"

// DefaultInitTimeout is Lambda's limit on a function's init phase.
const DefaultInitTimeout = 10 * time.Second

// Runtime runs Wasm modules on wazero inside the platform's process. One
// wazero runtime compiles and runs every module; each instance's memory is
// held to its function's size by its own allocator (memory.go), so
// functions of different sizes share compiled code.
type Runtime struct {
	cfg   Config
	log   *slog.Logger
	cache wazero.CompilationCache
	wz    wazero.Runtime
	wasi  map[string]api.FunctionDefinition // the host functions a guest may import

	mu      sync.Mutex
	closed  bool
	byPath  map[fileKey]*module
	bySHA   map[string]*module
	insts   map[*instance]struct{}
	compile map[string]*flight // sha → compilation in progress
}

// flight is one compilation concurrent callers wait for.
type flight struct {
	done chan struct{}
	mod  *module
	err  error
}

var _ runtime.Runtime = (*Runtime)(nil)

// New opens the compilation cache and the wazero runtime with the WASI
// host functions.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ScratchDir == "" {
		cfg.ScratchDir = os.TempDir()
	}
	if err := os.MkdirAll(cfg.ScratchDir, 0o700); err != nil {
		return nil, fmt.Errorf("wasm: scratch dir: %w", err)
	}
	// The /tmp of instances a crash left behind.
	stale, _ := filepath.Glob(filepath.Join(cfg.ScratchDir, tmpPrefix+"*"))
	for _, dir := range stale {
		if err := os.RemoveAll(dir); err != nil {
			cfg.Log.Warn("wasm: could not remove an old instance's /tmp", "dir", dir, "err", err)
		}
	}
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		dir, err := filepath.Abs(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm: cache dir %q: %w", cfg.CacheDir, err)
		}
		if cache, err = wazero.NewCompilationCacheWithDir(dir); err != nil {
			return nil, fmt.Errorf("wasm: compilation cache in %s: %w", dir, err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	wz := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithCloseOnContextDone(true))
	_, err := wasi_snapshot_preview1.Instantiate(ctx, wz)
	if err != nil {
		wz.Close(ctx)
		cache.Close(ctx)
		return nil, fmt.Errorf("wasm: WASI host module: %w", err)
	}
	return &Runtime{
		cfg: cfg, log: cfg.Log.With("component", "wasm"),
		cache: cache, wz: wz, wasi: wz.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions(),
		byPath: make(map[fileKey]*module), bySHA: make(map[string]*module),
		insts: make(map[*instance]struct{}), compile: make(map[string]*flight),
	}, nil
}

// Close closes every instance still open, then the wazero runtime and the
// cache. Safe to call twice.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	insts := make([]*instance, 0, len(r.insts))
	for in := range r.insts {
		insts = append(insts, in)
	}
	r.mu.Unlock()
	var errs []error
	for _, in := range insts {
		errs = append(errs, in.Close(ctx))
	}
	errs = append(errs, r.wz.Close(ctx), r.cache.Close(ctx))
	return errors.Join(errs...)
}

func (r *Runtime) register(in *instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("wasm: runtime is closed")
	}
	r.insts[in] = struct{}{}
	return nil
}

func (r *Runtime) unregister(in *instance) {
	r.mu.Lock()
	delete(r.insts, in)
	r.mu.Unlock()
}
