package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/runtime/process/bootstrap"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// Config configures a Runtime.
type Config struct {
	// RuntimeDir is where Start writes the embedded runtime clients
	// (bootstrap.py, bootstrap.js). Instances see it as LAMBDA_RUNTIME_DIR.
	RuntimeDir string
	// Python and Node are interpreter paths. Empty means: /usr/bin/python3,
	// else python3 on PATH (likewise /usr/bin/node, else node on PATH),
	// resolved when the first instance of that runtime starts.
	Python, Node string
	// InitTimeout bounds an instance's start, from exec to its first
	// request for an event. Default 10s, like Lambda.
	InitTimeout time.Duration
	// StemCells is how many Python and how many Node interpreters are
	// kept started, waiting for a function (stem.go). 0: none.
	StemCells int
	// Sandbox contains each instance (cgroup limits, namespaces, an
	// unprivileged user); nil runs instances as plain processes.
	Sandbox *sandbox.Sandbox
	Log     *slog.Logger
}

// DefaultInitTimeout is Lambda's limit on a function's init phase.
const DefaultInitTimeout = 10 * time.Second

// Runtime starts instances as processes and serves the Runtime API for them.
type Runtime struct {
	cfg Config
	log *slog.Logger

	mu      sync.RWMutex
	insts   map[string]*instance // by token; read on every Runtime API request
	addr    string               // 127.0.0.1:PORT, set by Start
	started bool
	closed  bool
	python  string // resolved interpreter paths, "" until needed
	node    string

	srv       *apiServer // apiserver.go
	serveDone chan struct{}

	stems     map[string]*stemPool // by runtime; read-only after Start
	stemCtx   context.Context      // cancelled by Close
	stemStop  context.CancelFunc
	stemsDone sync.WaitGroup
}

var _ runtime.Runtime = (*Runtime)(nil)

// New validates cfg and returns a Runtime; Start makes it usable.
func New(cfg Config) (*Runtime, error) {
	if cfg.RuntimeDir == "" {
		return nil, errors.New("process: runtime dir is empty: set Config.RuntimeDir (e.g. <data dir>/runtimes)")
	}
	dir, err := filepath.Abs(cfg.RuntimeDir)
	if err != nil {
		return nil, fmt.Errorf("process: runtime dir %q: %w", cfg.RuntimeDir, err)
	}
	cfg.RuntimeDir = dir
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Runtime{
		cfg:    cfg,
		log:    cfg.Log.With("component", "runtime"),
		insts:  make(map[string]*instance),
		python: cfg.Python,
		node:   cfg.Node,
	}, nil
}

// Start writes the runtime clients to RuntimeDir and starts the Runtime API
// server on 127.0.0.1 with a free port.
func (r *Runtime) Start(ctx context.Context) error {
	if err := writeBootstraps(r.cfg.RuntimeDir); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("process: runtime API listener: %w", err)
	}
	r.srv = newAPIServer((*apiHandler)(r), r.log)
	r.mu.Lock()
	if r.started || r.closed {
		r.mu.Unlock()
		ln.Close()
		return errors.New("process: runtime started twice or after Close")
	}
	r.started = true
	r.addr = ln.Addr().String()
	r.serveDone = make(chan struct{})
	r.mu.Unlock()
	go func() {
		defer close(r.serveDone)
		if err := r.srv.Serve(ln); err != nil {
			r.log.Error("runtime API server stopped", "err", err)
		}
	}()
	r.log.Debug("runtime API listening", "addr", r.addr)
	r.stemCtx, r.stemStop = context.WithCancel(context.Background())
	r.startStems()
	return nil
}

// Addr is the Runtime API server's address (127.0.0.1:PORT), "" before Start.
func (r *Runtime) Addr() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.addr
}

// Close kills every instance still alive and stops the server. Safe to call
// twice.
func (r *Runtime) Close(ctx context.Context) error {
	r.stopStems() // first: no stem starts after this
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	insts := make([]*instance, 0, len(r.insts))
	for _, in := range r.insts {
		insts = append(insts, in)
	}
	r.mu.Unlock()

	var errs []error
	for _, in := range insts {
		if err := in.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if r.srv != nil {
		// Close, not Shutdown: handlers of killed instances return at once,
		// and nothing else is worth waiting for.
		if err := r.srv.Close(); err != nil {
			errs = append(errs, err)
		}
		select {
		case <-r.serveDone:
		case <-ctx.Done():
			errs = append(errs, ctx.Err())
		}
	}
	return errors.Join(errs...)
}

// register adds in under its token; it fails after Close.
func (r *Runtime) register(in *instance) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || r.closed {
		return errors.New("process: runtime is not running (call Start first; not after Close)")
	}
	r.insts[in.token] = in
	return nil
}

func (r *Runtime) unregister(in *instance) {
	r.mu.Lock()
	delete(r.insts, in.token)
	r.mu.Unlock()
}

// lookup finds the instance owning token, a slice of the request's path;
// the map index with string(token) does not allocate.
func (r *Runtime) lookup(token []byte) *instance {
	r.mu.RLock()
	in := r.insts[string(token)]
	r.mu.RUnlock()
	return in
}

// writeBootstraps writes the embedded runtime clients into dir, replacing
// older copies atomically so that a running instance never reads half a file.
func writeBootstraps(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("process: runtime dir: %w", err)
	}
	for name, data := range map[string][]byte{pythonBootstrap: bootstrap.Python, nodeBootstrap: bootstrap.Node} {
		if len(data) == 0 {
			return fmt.Errorf("process: embedded %s is empty: the binary was built without the runtime clients", name)
		}
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
			continue
		}
		tmp, err := os.CreateTemp(dir, name+".*")
		if err != nil {
			return fmt.Errorf("process: write %s: %w", name, err)
		}
		_, werr := tmp.Write(data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("process: write %s: %w", name, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("process: write %s: %w", name, err)
		}
	}
	return nil
}
