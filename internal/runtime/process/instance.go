package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// instance is one process speaking the Runtime API under its token.
type instance struct {
	rt    *Runtime
	spec  runtime.Spec
	token string
	log   *slog.Logger
	cmd   *exec.Cmd
	pid   int
	logs  *logPipe
	mem   *memory
	box   *sandbox.Box // nil without a sandbox
	timer *time.Timer  // the invocation deadline, reused

	// Runtime API handlers → invoker.
	next    chan *runtime.Request // cap 1: the event for the next GET /next
	results chan result           // cap 1: the current invocation's outcome
	initErr chan result           // cap 1: a POST /init/error
	polled  chan struct{}         // cap 1: a GET /next arrived (see polls)
	polls   atomic.Uint64         // GET /next requests so far
	took    atomic.Uint64         // the polls value of the request that took the current event

	started    time.Time     // exec, or a stem's assignment
	sandboxDur time.Duration // of the exec: sandbox set-up and fork/exec
	readyOnce  sync.Once
	readyAt    time.Time // the first GET /next

	mu       sync.Mutex
	cur      *runtime.Request // in flight, until its result arrives
	reaped   bool             // the process was waited for: its pgid may be reused
	initLogs []byte
	initDur  time.Duration

	exited    chan struct{} // closed once the process exited and was reaped
	exitState *os.ProcessState
	done      chan struct{} // closed by Close: pending GET /next return
	closeOnce sync.Once
	closeErr  error
	waiterEnd chan struct{}
	serveEnd  chan struct{} // the own Runtime API listener's Serve returned; nil without one
	forward   *forwarder    // to the platform endpoint, for an instance in its own network namespace; nil otherwise (under mu)

	// A stem (stem.go): its function arrives on assign; asked is closed
	// once it asked for it (both nil otherwise); delivered is set once the
	// assignment was written to it, and the route answers 404 from then on.
	assign    chan []byte
	asked     chan struct{}
	askedOnce sync.Once
	delivered atomic.Bool
	onExit    func() // set before start; called once the process exited

	// peak memory sampling; Invoke is never concurrent on one instance
	peakCached int // the last reading of the instance's peak
	peakProc   int // the process's largest resident size at that reading
	peakCalls  int
}

var _ runtime.Instance = (*instance)(nil)

// result is what a Runtime API handler hands to the invoker.
type result struct {
	kind      resultKind
	payload   []byte
	errorType string
}

type resultKind uint8

const (
	resultResponse resultKind = iota
	resultError               // POST /error (or a streamed response's error trailer)
	resultTooLarge            // a response over fn.MaxSyncPayload
)

// NewInstance starts a process for spec, or specialises a stem cell (see
// stem.go), and returns once it asked for its first event. A failure of
// the function's own init is an *runtime.InitError.
func (r *Runtime) NewInstance(ctx context.Context, spec runtime.Spec) (runtime.Instance, error) {
	dir, err := filepath.Abs(spec.CodeDir)
	if err != nil {
		return nil, fmt.Errorf("process: code dir %q of %s: %w", spec.CodeDir, spec.Function, err)
	}
	spec.CodeDir = dir
	if fi, err := os.Stat(spec.CodeDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("process: code dir %q of %s is not a directory: %v", spec.CodeDir, spec.Function, err)
	}
	cmd, err := r.commandFor(&spec)
	if err != nil {
		return nil, err
	}
	if in := r.takeStem(&spec); in != nil {
		err := in.specialise(ctx, spec, cmd)
		if err == nil {
			return in, nil
		}
		if !errors.Is(err, errStemUnusable) {
			return nil, err
		}
		r.log.Warn("stem cell unusable: cold start without it", "fn", spec.Function, "err", err)
		in.Close(context.Background())
	}
	in := r.newInstance(spec, randomHex(tokenLen/2))
	if err := r.register(in); err != nil {
		return nil, err
	}
	if err := in.start(cmd, r.environ(&spec, &cmd, in.token), r.taskRoot(spec.CodeDir), r.sandboxSpec(&spec, cmd)); err != nil {
		r.unregister(in)
		return nil, err
	}
	if err := in.awaitReady(ctx); err != nil {
		in.Close(context.Background())
		return nil, err
	}
	return in, nil
}

// newInstance returns an instance of spec, not started.
func (r *Runtime) newInstance(spec runtime.Spec, token string) *instance {
	in := &instance{
		rt:        r,
		spec:      spec,
		token:     token,
		log:       r.log.With("fn", spec.Function, "version", spec.Version, "tenant", spec.Tenant),
		next:      make(chan *runtime.Request, 1),
		results:   make(chan result, 1),
		initErr:   make(chan result, 1),
		polled:    make(chan struct{}, 1),
		exited:    make(chan struct{}),
		done:      make(chan struct{}),
		waiterEnd: make(chan struct{}),
		timer:     time.NewTimer(time.Hour),
	}
	in.timer.Stop()
	return in
}

// start execs c in dir with env, its output on a fresh pipe, inside the
// sandbox if there is one, and starts the reader and waiter goroutines.
func (in *instance) start(c command, env []string, dir string, sbSpec sandbox.Spec) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("process: output pipe: %w", err)
	}
	lp, err := newLogPipe(pr)
	if err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("process: output pipe: %w", err)
	}
	in.cmd = &exec.Cmd{
		Path:   c.path,
		Args:   c.args,
		Dir:    dir,
		Env:    env,
		Stdout: pw, // one pipe for both: the output interleaves as written
		Stderr: pw,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,            // its own group, killed as a whole
			Pdeathsig: syscall.SIGKILL, // and gone if the platform dies
		},
	}
	in.started = time.Now()
	if sb := in.rt.cfg.Sandbox; sb != nil {
		in.box, err = sb.Start(in.cmd, sbSpec)
		in.sandboxDur = time.Since(in.started)
	} else if sbSpec.NoNetwork {
		err = fmt.Errorf("process: %s asks for no network, which needs the sandbox (the platform runs without one)", in.spec.Function)
	} else {
		err = in.cmd.Start()
	}
	pw.Close() // the child holds its copy: EOF once it and its children are gone
	if err != nil {
		pr.Close()
		if c.provided && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOEXEC)) {
			return &runtime.InitError{
				ErrorType: "Runtime.InvalidEntrypoint",
				Payload: errorJSON("Runtime.InvalidEntrypoint", fmt.Sprintf(
					"Error: cannot run %s: %v. A provided or go function needs an executable file named bootstrap at the top of its code, e.g. built with `go build -o bootstrap`", "bootstrap", errors.Unwrap(err))),
				Duration: time.Since(in.started),
			}
		}
		return fmt.Errorf("process: start %s for %s: %w", c.path, in.spec.Function, err)
	}
	in.pid = in.cmd.Process.Pid
	in.logs = lp
	in.mem = openMemory(in.pid)
	go lp.run()
	go in.wait()
	if in.box != nil && in.box.Listener != nil {
		in.serveEnd = make(chan struct{})
		go in.serveOwn(in.box.Listener)
	}
	if in.assign == nil { // a stem's endpoint is known once it has its function
		in.forwardEndpoint()
	}
	in.log.Debug("instance started", "pid", in.pid)
	return nil
}

// forwardEndpoint forwards the connections to sandbox.EndpointAddr inside
// the instance's network namespace, if it has one, to the platform's
// endpoint; without an endpoint it closes the listener: they are refused.
func (in *instance) forwardEndpoint() {
	if in.box == nil || in.box.EndpointListener == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	select {
	case <-in.done: // Close began: it closes the listener
		return
	default:
	}
	if in.spec.AWS != nil {
		in.forward = startForwarder(in.box.EndpointListener, in.spec.AWS.Endpoint, in.log)
	} else {
		in.box.EndpointListener.Close() // nothing to reach: refuse
	}
}

// serveOwn serves the Runtime API on the listener inside the instance's
// network namespace until Close closes it.
func (in *instance) serveOwn(ln net.Listener) {
	defer close(in.serveEnd)
	in.rt.srv.Serve(ln) // returns once ln is closed
}

// wait notices the exit, kills what is left of the process group while the
// leader's pid is still reserved (a zombie), then reaps it.
func (in *instance) wait() {
	defer close(in.waiterEnd)
	awaitExit(in.pid)
	in.mu.Lock()
	unix.Kill(-in.pid, unix.SIGKILL) // children it left behind
	in.reaped = true
	in.mu.Unlock()
	in.cmd.Wait()
	in.exitState = in.cmd.ProcessState
	close(in.exited)
	if in.onExit != nil {
		in.onExit()
	}
}

// awaitExit blocks until pid has exited, without reaping it. It waits on a
// pidfd through the netpoller, so a waiting instance costs no OS thread; if
// pidfds are unavailable it falls back to a blocking waitid.
func awaitExit(pid int) {
	if fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK); err == nil {
		f := os.NewFile(uintptr(fd), "pidfd")
		if rc, err := f.SyscallConn(); err == nil {
			err = rc.Read(func(uintptr) bool { return exitedNow(pid) })
			f.Close()
			if err == nil {
				return
			}
		} else {
			f.Close()
		}
	}
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// exitedNow reports whether pid has exited (it is a zombie), without reaping.
func exitedNow(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		// Linux zeroes info when nothing is waitable; ECHILD means someone
		// else reaped it, which counts as exited too.
		return err != nil || info.Signo != 0
	}
}

// awaitReady waits for the first GET /next, an /init/error, the process's
// exit, the init timeout or ctx.
func (in *instance) awaitReady(ctx context.Context) error {
	timer := time.NewTimer(in.rt.cfg.InitTimeout)
	defer timer.Stop()
	for in.polls.Load() == 0 {
		select {
		case <-in.polled:
		case res := <-in.initErr:
			in.kill()
			return in.initFailure(res.errorType, res.payload)
		case <-in.exited:
			select {
			case res := <-in.initErr: // posted, then exited
				return in.initFailure(res.errorType, res.payload)
			default:
			}
			if in.polls.Load() > 0 {
				break // ready, then exited: the first Invoke reports it
			}
			return in.initFailure("Runtime.ExitError", errorJSON("Runtime.ExitError",
				"Error: Runtime exited with error: "+in.exitState.String()))
		case <-timer.C:
			in.kill()
			return in.initFailure("Runtime.InitTimeout", errorJSON("Runtime.InitTimeout", fmt.Sprintf(
				"Error: Runtime did not become ready within %.2f seconds: a function must finish its init and ask for its first event in time", in.rt.cfg.InitTimeout.Seconds())))
		case <-ctx.Done():
			return fmt.Errorf("process: start of %s: %w", in.spec.Function, ctx.Err())
		}
	}
	// The handler set readyAt before it counted the poll.
	in.initDur = in.readyAt.Sub(in.started)
	in.initLogs = in.logs.take()
	// Where a cold start's time went: sandbox set-up and exec (for a
	// stem, long before), then the runtime's and the function's init.
	in.log.Debug("instance ready", "pid", in.pid, "stem", in.assign != nil, "sandbox_and_exec", in.sandboxDur, "init", in.initDur)
	return nil
}

// initFailure collects the output of a failed init once the process is
// gone and builds the InitError.
func (in *instance) initFailure(errorType string, payload []byte) error {
	in.awaitExited(2 * time.Second)
	in.log.Debug("instance init failed", "pid", in.pid, "error_type", errorType)
	return &runtime.InitError{
		ErrorType: errorType,
		Payload:   payload,
		Logs:      in.logs.take(),
		Duration:  time.Since(in.started),
	}
}

// kill sends SIGKILL to the process group unless the process was reaped,
// and to everything in the instance's sandbox.
func (in *instance) kill() {
	in.mu.Lock()
	if !in.reaped {
		unix.Kill(-in.pid, unix.SIGKILL)
	}
	in.mu.Unlock()
	if in.box != nil {
		in.box.Kill()
	}
}

// awaitExited waits for the process to be reaped, at most d.
func (in *instance) awaitExited(d time.Duration) bool {
	select {
	case <-in.exited:
		return true
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-in.exited:
		return true
	case <-t.C:
		return false
	}
}

// InitDuration is the time from exec to the first GET /next.
func (in *instance) InitDuration() time.Duration { return in.initDur }

// InitLogs returns, once, what the process printed before it was ready.
func (in *instance) InitLogs() []byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.initLogs
	in.initLogs = nil
	return b
}

// Close kills the process group, reaps the process, stops the reader and
// forgets the token. Safe to call twice and concurrently.
func (in *instance) Close(ctx context.Context) error {
	in.closeOnce.Do(func() {
		in.mu.Lock() // a stem's specialise may be setting them
		log, name := in.log, in.spec.Function
		in.mu.Unlock()
		in.rt.unregister(in)
		in.kill()
		close(in.done)
		select {
		case <-in.waiterEnd:
		case <-ctx.Done():
			// The waiter still reaps it when it finally exits.
			in.closeErr = fmt.Errorf("process: instance %d of %s did not exit: %w", in.pid, name, ctx.Err())
		}
		if in.serveEnd != nil {
			in.box.Listener.Close()
			<-in.serveEnd
		}
		in.mu.Lock()
		fw := in.forward
		in.mu.Unlock()
		if fw != nil {
			fw.close()
		}
		in.logs.close()
		in.mem.close()
		if in.box != nil {
			if err := in.box.Close(); err != nil && in.closeErr == nil {
				in.closeErr = fmt.Errorf("process: instance %d of %s: %w", in.pid, name, err)
			}
		}
		log.Debug("instance closed", "pid", in.pid)
	})
	return in.closeErr
}

// Alive reports whether the process is still running. The pool asks before
// it hands out an idle instance, so a process that died while idle is
// replaced instead of failing a call it never saw.
func (in *instance) Alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}
