package wasm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// instance is one warm copy of a function: its /tmp, its memory limit, its
// log buffer and, for a reactor, its initialised module. A command's
// module is instantiated afresh for every call.
type instance struct {
	rt   *Runtime
	spec runtime.Spec
	mod  *module
	log  *slog.Logger
	tmp  *tmpFS
	dir  string // the host directory behind /tmp
	mem  *memLimit
	logs capBuffer
	env  [][2]string
	base wazero.ModuleConfig // clocks, randomness, /tmp, the environment

	// cur is the context of the call (or init) running: a guest's sleep
	// (WASI poll_oneoff) ends when it is done, so a timeout is not held up
	// by a sleeping guest.
	cur atomic.Pointer[context.Context]

	initDur time.Duration

	// A reactor's module and the ABI's functions; stack is their
	// argument and result space, reused (Invoke is never concurrent).
	m                      api.Module
	alloc, handle, respond api.Function
	stack                  [3]uint64

	mu       sync.Mutex
	initLogs []byte
	closed   bool
	inflight chan struct{}      // closed when the running call (or init) returns; nil when none
	cancel   context.CancelFunc // stops the running call
	broken   atomic.Bool
}

var _ runtime.Instance = (*instance)(nil)

// NewInstance prepares an instance of spec's module: compiled already at
// deploy (or now, from the cache on disk), a reactor is instantiated and
// initialised; a command is ready once its /tmp exists. A reactor whose
// _initialize fails is an *runtime.InitError.
func (r *Runtime) NewInstance(ctx context.Context, spec runtime.Spec) (runtime.Instance, error) {
	began := time.Now()
	path, err := modulePath(spec.CodeDir, spec.Handler)
	if err != nil {
		return nil, err
	}
	mod, err := r.moduleFor(ctx, path)
	if err != nil {
		var fe *fn.Error
		if errors.As(err, &fe) {
			return nil, initError(began, "Runtime.InvalidEntrypoint", err.Error(), nil)
		}
		return nil, err
	}
	in := &instance{
		rt: r, spec: spec, mod: mod,
		log: r.log.With("fn", spec.Function, "version", spec.Version, "tenant", spec.Tenant),
		mem: &memLimit{limit: uint64(max(spec.MemoryMB, fn.MinMemoryMB)) << 20},
	}
	in.logs.max = maxLogBytes
	in.env = environ(&spec)
	if mod.minBytes > in.mem.limit {
		return nil, initError(began, "Runtime.OutOfMemory", fmt.Sprintf(
			"Error: the module needs %d MB of memory to start: the function's memory is %d MB", mod.minBytes>>20, spec.MemoryMB), nil)
	}
	in.dir = filepath.Join(r.cfg.ScratchDir, tmpPrefix+randomHex())
	in.tmp = newTmpFS(in.dir, int64(max(spec.EphemeralMB, fn.MinEphemeralMB))<<20)
	in.base = in.baseConfig()
	if err := r.register(in); err != nil {
		return nil, err
	}
	if mod.kind == reactor {
		if err := in.initReactor(ctx); err != nil {
			in.Close(context.WithoutCancel(ctx))
			var ie *runtime.InitError
			if errors.As(err, &ie) {
				ie.Duration = time.Since(began)
			}
			return nil, err
		}
	}
	in.initDur = max(time.Since(began), time.Microsecond)
	in.log.Debug("instance ready", "kind", mod.kind, "init", in.initDur)
	return in, nil
}

// environ is the guest's environment: the function's variables and the
// ones Lambda sets.
func environ(spec *runtime.Spec) [][2]string {
	env := make([][2]string, 0, len(spec.Env)+8)
	for k, v := range spec.Env {
		env = append(env, [2]string{k, v})
	}
	return append(env,
		[2]string{"AWS_LAMBDA_FUNCTION_NAME", spec.Function},
		[2]string{"AWS_LAMBDA_FUNCTION_VERSION", spec.Version},
		[2]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", strconv.Itoa(spec.MemoryMB)},
		[2]string{"AWS_REGION", fn.Region},
		[2]string{"AWS_DEFAULT_REGION", fn.Region},
		[2]string{"AWS_EXECUTION_ENV", "AWS_Lambda_wasm"},
		[2]string{"_HANDLER", spec.Handler},
		[2]string{"TZ", ":UTC"},
	)
}

// baseConfig is what every instantiation of the instance shares: host
// clocks and randomness, /tmp, the environment, stderr to the log.
func (in *instance) baseConfig() wazero.ModuleConfig {
	fsc := wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(in.tmp, "/tmp")
	c := wazero.NewModuleConfig().
		WithName("").
		WithArgs(filepath.Base(in.spec.Handler)).
		WithSysWalltime().WithSysNanotime().WithNanosleep(in.sleep).
		WithRandSource(rand.Reader).
		WithFSConfig(fsc).
		WithStderr(&in.logs)
	for _, kv := range in.env {
		c = c.WithEnv(kv[0], kv[1])
	}
	return c
}

// sleep is the guest's clock sleep: it ends early when the current call
// ends, so that wazero can stop the guest at its next check.
func (in *instance) sleep(ns int64) {
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	var done <-chan struct{}
	if ctx := in.cur.Load(); ctx != nil {
		done = (*ctx).Done()
	}
	select {
	case <-t.C:
	case <-done:
	}
}

// initReactor instantiates the module and runs its _initialize within the
// init timeout.
func (in *instance) initReactor(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, in.rt.cfg.InitTimeout)
	defer cancel()
	if !in.begin(cancel) {
		return fmt.Errorf("wasm: start of %s: the runtime closed", in.spec.Function)
	}
	defer in.end()
	in.cur.Store(&ctx)
	defer in.cur.Store(nil)
	cfg := in.base.WithStdout(&in.logs).WithStartFunctions()
	m, err := in.rt.wz.InstantiateModule(experimental.WithMemoryAllocator(ctx, in.mem), in.mod.compiled, cfg)
	if err == nil {
		in.m = m
		if f := m.ExportedFunction(exportInit); f != nil {
			err = f.CallWithStack(ctx, in.stack[:])
		}
	}
	if err != nil {
		return in.initFailure(ctx, err)
	}
	in.alloc = m.ExportedFunction(exportAlloc)
	in.handle = m.ExportedFunction(exportHandle)
	in.respond = m.ExportedFunction(exportResponse)
	in.initLogs = in.logs.take()
	return nil
}

// initFailure is the InitError of a reactor whose start failed.
func (in *instance) initFailure(ctx context.Context, err error) error {
	logs := in.logs.take()
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded:
		return initError(time.Time{}, "Runtime.InitTimeout", fmt.Sprintf(
			"Error: the module did not finish _initialize within %.2f seconds", in.rt.cfg.InitTimeout.Seconds()), logs)
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled:
		return fmt.Errorf("wasm: start of %s: %w", in.spec.Function, context.Cause(ctx))
	case in.mem.denied.Load():
		return initError(time.Time{}, "Runtime.OutOfMemory", "Error: Runtime exited with error: out of memory"+in.outOfMemory(), logs)
	}
	return initError(time.Time{}, "Runtime.ExitError", "Error: Runtime exited with error: "+describe(err), logs)
}

// randomHex names an instance's /tmp directory (made on first use).
func randomHex() string {
	b := make([]byte, 12)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

func initError(began time.Time, errorType, msg string, logs []byte) *runtime.InitError {
	d := time.Microsecond
	if !began.IsZero() {
		d = max(time.Since(began), d)
	}
	return &runtime.InitError{ErrorType: errorType, Payload: errorJSON(errorType, msg), Logs: logs, Duration: d}
}

// describe is what ended a guest: its exit status, or the trap's first line.
func describe(err error) string {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return "exit status " + strconv.Itoa(int(exit.ExitCode()))
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

func (in *instance) outOfMemory() string {
	return fmt.Sprintf(" (out of memory: the function's limit is %d MB)", in.spec.MemoryMB)
}

// InitDuration is the time from NewInstance to ready: a reactor's
// instantiation and _initialize; for a command, only its set-up (its own
// start runs in every call, and counts in the call's duration).
func (in *instance) InitDuration() time.Duration { return in.initDur }

// InitLogs returns, once, what a reactor wrote during _initialize.
func (in *instance) InitLogs() []byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.initLogs
	in.initLogs = nil
	return b
}

// Alive reports whether the instance can take another call: the pool asks
// before it hands out an idle instance.
func (in *instance) Alive() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return !in.closed && !in.broken.Load()
}

// begin marks a call (or the init) as running, stoppable by cancel; it
// fails once the instance is closed.
func (in *instance) begin(cancel context.CancelFunc) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false
	}
	in.inflight, in.cancel = make(chan struct{}), cancel
	return true
}

// end marks the running call as returned.
func (in *instance) end() {
	in.mu.Lock()
	close(in.inflight)
	in.inflight, in.cancel = nil, nil
	in.mu.Unlock()
}

// isClosed reports whether Close was called.
func (in *instance) isClosed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed
}

// Close stops a running call and waits for it to return (its module's
// memory must not be unmapped under it), then closes the module, frees the
// memory and removes /tmp. Safe to call twice.
func (in *instance) Close(ctx context.Context) error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	running := in.inflight
	if in.cancel != nil {
		in.cancel()
	}
	in.mu.Unlock()
	in.rt.unregister(in)
	if running != nil {
		select {
		case <-running:
		case <-ctx.Done():
			// Its module and memory stay: freeing them under a running
			// guest would crash the platform.
			return fmt.Errorf("wasm: instance of %s: the running call did not stop: %w", in.spec.Function, ctx.Err())
		}
	}
	var errs []error
	if m := in.m; m != nil {
		errs = append(errs, m.Close(ctx))
	}
	in.mem.release()
	if err := os.RemoveAll(in.dir); err != nil {
		errs = append(errs, fmt.Errorf("wasm: remove /tmp of %s: %w", in.spec.Function, err))
	}
	return errors.Join(errs...)
}

// stopped reports whether nothing of the instance runs any more.
func (in *instance) stopped() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed && (in.m == nil || in.m.IsClosed())
}
