package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// Stem cells (OpenWhisk's name): interpreters started ahead of demand, in
// their sandbox, that wait for a function. A Python or Node cold start then
// skips the exec, the interpreter's own start-up and the runtime client's
// imports, the bulk of it: what remains is attaching the code (a mount),
// setting the cgroup limits, and the function's own init.
//
// A stem runs the ordinary runtime client with _UPDRAFT_STEM=1 and a
// minimal environment. It may warm its HTTP client with GET
// …/updraft/ping (answered at once), then asks
//
//	GET /<token>/2018-06-01/runtime/updraft/specialize
//
// which blocks until NewInstance assigns it a function; the answer is
// {"root": task root, "env": ["K=V", …]}: the client replaces its
// environment, changes to the task root, and carries on as a fresh instance
// would, importing the handler and asking for its first event. Init
// Duration is measured from the assignment.
//
// A function whose configuration would have changed how the interpreter
// started (its environment sets PYTHON*, NODE_*, LD_*, LANG, LC_*, TZ …),
// wants no network or a /tmp of another size starts without a stem.
//
// What differs from a fresh process: /proc/self/environ keeps the
// environment the stem was started with (the kernel's copy; the process's
// own environment is the function's), and the process started earlier.

// errStemUnusable marks a stem that could not take its function; the
// caller starts a fresh instance instead.
var errStemUnusable = errors.New("stem cell unusable")

// stemPool keeps Config.StemCells stems of one runtime ready.
type stemPool struct {
	runtime string
	ready   chan *instance // cap Config.StemCells
	want    chan struct{}  // cap 1: a stem was taken
	taken   atomic.Int64   // by cold starts, so far
}

// wake asks p's keeper to look at the pool.
func (p *stemPool) wake() {
	select {
	case p.want <- struct{}{}:
	default:
	}
}

// stemSensitive are environment variables read when an interpreter starts:
// a function that sets one gets a fresh process.
var stemSensitive = []string{"PYTHON", "NODE_", "UV_", "LD_", "LC_", "LANG", "TZ", "HOME", "GLIBC_", "MALLOC_",
	"LOCPATH", "GCONV_PATH", "NLSPATH", "OPENSSL_", "SSL_CERT_"}

// startStems starts a keeper for each interpreted runtime whose interpreter
// exists.
func (r *Runtime) startStems() {
	if r.cfg.StemCells <= 0 {
		return
	}
	if sb := r.cfg.Sandbox; sb != nil {
		if err := sb.StemsAvailable(); err != nil {
			r.log.Info("no stem cells", "err", err)
			return
		}
	}
	r.stems = map[string]*stemPool{}
	for _, rt := range []string{fn.RuntimePython, fn.RuntimeNode} {
		if _, err := r.commandFor(&runtime.Spec{Runtime: rt}); err != nil {
			r.log.Info("no stem cells: interpreter missing", "runtime", rt, "err", err)
			continue
		}
		r.log.Info("keeping stem cells: started interpreters waiting for a function", "runtime", rt, "count", r.cfg.StemCells)
		p := &stemPool{runtime: rt, ready: make(chan *instance, r.cfg.StemCells), want: make(chan struct{}, 1)}
		r.stems[rt] = p
		r.stemsDone.Add(1)
		go r.keep(p)
	}
}

// keep refills p until the runtime closes, starting the missing stems in
// parallel: cold starts in a row use them up as fast as one starts.
func (r *Runtime) keep(p *stemPool) {
	defer r.stemsDone.Done()
	backoff := 100 * time.Millisecond
	for {
		var retry <-chan time.Time // nil: wait for a stem to be taken
		if err := r.refill(p); err != nil {
			if r.stemCtx.Err() != nil {
				return
			}
			r.log.Warn("stem cell failed to start", "runtime", p.runtime, "err", err, "retry_in", backoff)
			retry = time.After(backoff)
			backoff = min(2*backoff, 30*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-p.want:
		case <-retry:
		case <-r.stemCtx.Done():
			return
		}
	}
}

// refill starts the stems p lacks, in parallel, and returns the first
// failure.
func (r *Runtime) refill(p *stemPool) error {
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	// Stems that died while they waited make room first.
	for range len(p.ready) {
		select {
		case in := <-p.ready:
			if in.Alive() {
				p.ready <- in // only refill sends, and it just made room
			} else {
				in.Close(context.Background())
			}
		default:
		}
	}
	for range cap(p.ready) - len(p.ready) {
		wg.Go(func() {
			in, err := r.newStem(p)
			if err != nil {
				failed.CompareAndSwap(nil, &err)
				return
			}
			p.ready <- in // only refill sends, and it counted the room
		})
	}
	wg.Wait()
	if errp := failed.Load(); errp != nil {
		return *errp
	}
	return nil
}

// newStem starts a stem for p and waits until it asks for its function.
func (r *Runtime) newStem(p *stemPool) (*instance, error) {
	rt := p.runtime
	spec := runtime.Spec{Runtime: rt, Function: "(stem " + rt + ")", MemoryMB: fn.MinMemoryMB}
	cmd, err := r.commandFor(&spec)
	if err != nil {
		return nil, err
	}
	// Node sizes its heap once, at start, before a stem's function and
	// memory are known: no cap (nodeHeapFlag), its cgroup bounds it.
	cmd.args = slices.DeleteFunc(cmd.args, isHeapFlag)
	in := r.newInstance(spec, randomHex(tokenLen/2))
	in.assign = make(chan []byte, 1)
	in.asked = make(chan struct{})
	in.onExit = func() {
		select {
		case <-in.asked: // it was ready: replace it (a failed start backs off instead)
			p.wake()
		default:
		}
	}
	if err := r.register(in); err != nil {
		return nil, err
	}
	env := append(r.baseEnv(nil, rt, &cmd, r.apiAddr(&spec)+"/"+in.token), "_UPDRAFT_STEM=1")
	if err := in.start(cmd, env, "/", sandbox.Spec{MemoryMB: spec.MemoryMB, Runtime: r.cfg.RuntimeDir, Stem: true}); err != nil {
		r.unregister(in)
		return nil, err
	}
	t := time.NewTimer(r.cfg.InitTimeout)
	defer t.Stop()
	select {
	case <-in.asked:
		return in, nil
	case <-in.exited:
		err = fmt.Errorf("process: stem of %s exited before it was ready: %s: %s", rt, in.exitState, in.logs.take())
	case <-t.C:
		err = fmt.Errorf("process: stem of %s not ready within %s", rt, r.cfg.InitTimeout)
	case <-r.stemCtx.Done():
		err = r.stemCtx.Err()
	}
	in.Close(context.Background())
	return nil, err
}

// takeStem returns a ready stem for spec, or nil.
func (r *Runtime) takeStem(spec *runtime.Spec) *instance {
	p := r.stems[spec.Runtime]
	if p == nil || !stemFits(spec, r.cfg.Sandbox) {
		return nil
	}
	defer p.wake()
	for {
		select {
		case in := <-p.ready:
			if in.Alive() {
				p.taken.Add(1)
				return in
			}
			in.Close(context.Background())
		default:
			return nil
		}
	}
}

// stemFits reports whether a stem can become spec's instance.
func stemFits(spec *runtime.Spec, sb *sandbox.Sandbox) bool {
	if spec.Network == fn.NetworkNone {
		return false
	}
	if sb != nil && spec.EphemeralMB > 0 && spec.EphemeralMB != sb.TmpMB() {
		return false
	}
	for k := range spec.Env {
		for _, p := range stemSensitive {
			if strings.HasPrefix(k, p) {
				return false
			}
		}
	}
	return true
}

// specialise gives the stem in its function and waits until it is ready.
// Failures before the stem is told, and an exit without a word after, are
// errStemUnusable (the caller starts a fresh process); the rest are the
// function's, as for a fresh instance.
func (in *instance) specialise(ctx context.Context, spec runtime.Spec, cmd command) error {
	root := spec.CodeDir
	if in.box != nil {
		var err error
		if root, err = in.box.Attach(spec.CodeDir); err != nil {
			return fmt.Errorf("%w: %w", errStemUnusable, err)
		}
		mem := spec.MemoryMB
		if mem <= 0 {
			mem = fn.DefaultMemoryMB
		}
		if err := in.box.Limit(mem); err != nil {
			return fmt.Errorf("%w: %w", errStemUnusable, err)
		}
	}
	seen := spec
	seen.CodeDir = root
	msg, err := json.Marshal(struct {
		Root string   `json:"root"`
		Env  []string `json:"env"`
	}{root, in.rt.environ(&seen, &cmd, in.token)})
	if err != nil {
		return fmt.Errorf("%w: %w", errStemUnusable, err)
	}
	log := in.rt.log.With("fn", spec.Function, "version", spec.Version, "tenant", spec.Tenant, "stem", true)
	in.mu.Lock() // Runtime.Close may be closing it meanwhile
	in.spec, in.log, in.started = spec, log, time.Now()
	in.mu.Unlock()
	in.forwardEndpoint() // its own network's endpoint listener, now that it is known
	in.assign <- msg     // cap 1, sent once
	if err := in.awaitReady(ctx); err != nil {
		in.Close(context.Background())
		// A stem that exited without a word (no /init/error, no /next) may
		// have died before it read its function: the failure is then the
		// stem's, and a fresh process tells (a function that kills its
		// process at init fails there as well, and is reported from it).
		var ie *runtime.InitError
		if errors.As(err, &ie) && ie.ErrorType == "Runtime.ExitError" && ctx.Err() == nil {
			return fmt.Errorf("%w: it exited during its assignment: %w", errStemUnusable, err)
		}
		return err
	}
	return nil
}

// serveSpecialize answers a stem's GET …/updraft/specialize once it has a
// function.
func (in *instance) serveSpecialize(w http.ResponseWriter, r *http.Request) {
	if in.assign == nil || in.delivered.Load() {
		// Not a stem, or one that has its function: as for any instance.
		apiError(w, http.StatusNotFound, "NotFound", "unknown Runtime API path")
		return
	}
	in.askedOnce.Do(func() { close(in.asked) })
	select {
	case msg := <-in.assign:
		hdr := w.Header()
		hdr["Content-Type"] = jsonType
		hdr["Content-Length"] = []string{strconv.Itoa(len(msg))}
		w.WriteHeader(http.StatusOK)
		w.Write(msg)
		if http.NewResponseController(w).Flush() == nil {
			in.delivered.Store(true)
		}
	case <-in.done:
		apiError(w, http.StatusGone, "InstanceClosed", "the instance is shutting down")
	case <-r.Context().Done():
	}
}

// StemStats is one runtime's stem cells.
type StemStats struct {
	Runtime string
	Ready   int // started, waiting for a function
	Taken   int // by cold starts so far
}

// Stems reports the stem cells of each runtime that keeps them.
func (r *Runtime) Stems() []StemStats {
	out := make([]StemStats, 0, len(r.stems))
	for _, rt := range []string{fn.RuntimePython, fn.RuntimeNode} {
		if p := r.stems[rt]; p != nil {
			out = append(out, StemStats{Runtime: rt, Ready: len(p.ready), Taken: int(p.taken.Load())})
		}
	}
	return out
}

// stopStems stops the keepers; the stems themselves are instances, closed
// with the rest.
func (r *Runtime) stopStems() {
	if r.stemStop != nil {
		r.stemStop()
	}
	r.stemsDone.Wait()
}
