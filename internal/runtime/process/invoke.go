package process

import (
	"context"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// backgroundAfter is the window of the background check: from its 50th ms
// on, an invocation whose instance kept a CPU at least half busy over the
// last window is moved to the background (sandbox.Box.Background) until it
// returns, so at the earliest at 100 ms. Short calls then win the CPU from
// long computations, so a neighbour spinning through a long call cannot
// delay another function's short ones. A call that waits (on I/O, or for a
// CPU on a busy host) stays where it is.
const backgroundAfter = 50 * time.Millisecond

// hogging reports whether the instance's processes used at least half a
// CPU since the last look (*seen; -1 before the first), and moves the
// instance to the background when they did.
func (in *instance) hogging(seen *time.Duration) bool {
	used := in.box.CPUTime()
	last := *seen
	*seen = used
	if used < 0 || last < 0 || used-last < backgroundAfter/2 {
		return false
	}
	if err := in.box.Background(true); err != nil {
		in.log.Warn("instance: background CPU weight", "err", err)
		return false
	}
	return true
}

// errorGrace bounds how long a failed invocation waits to learn whether the
// runtime survived its error (asks for the next event) or exits.
const errorGrace = 100 * time.Millisecond

// Invoke hands req to the runtime's pending GET /next and waits for its
// result, the process's exit, the deadline or ctx. The pool never calls it
// concurrently on one instance.
func (in *instance) Invoke(ctx context.Context, req *runtime.Request) (*runtime.Response, error) {
	select {
	case <-in.done:
		return nil, fmt.Errorf("process: invoke %s: instance closed", in.spec.Function)
	default:
	}
	select {
	case <-in.exited: // died while idle
		return in.crashed(req, 0), nil
	default:
	}
	in.mu.Lock()
	in.cur = req
	in.mu.Unlock()

	start := time.Now()
	select {
	case in.next <- req:
	default: // an event nobody took: only after a call that broke the instance
		in.forget()
		return nil, fmt.Errorf("process: invoke %s: instance is still busy with an earlier event", in.spec.Function)
	}
	limit := in.timeout(req, start)
	deadline := start.Add(limit)
	// A sandboxed call that keeps a CPU busy goes to the background: the
	// timer checks its CPU time every backgroundAfter until then, and
	// fires at the deadline after.
	watch := in.box != nil && in.box.Limited() && limit > 2*backgroundAfter
	if watch {
		in.timer.Reset(backgroundAfter)
	} else {
		in.timer.Reset(limit)
	}
	inBackground := false
	cpuSeen := time.Duration(-1)
	var res result
wait:
	for {
		select {
		case res = <-in.results:
			break wait
		case <-in.exited:
			select {
			case res = <-in.results: // answered, then exited: the answer counts
				break wait
			default:
				in.timer.Stop()
				in.forget()
				return in.crashed(req, time.Since(start)), nil
			}
		case <-in.timer.C:
			if time.Until(deadline) > 0 {
				if watch && !inBackground {
					inBackground = in.hogging(&cpuSeen)
				}
				left := time.Until(deadline) // after hogging's reads
				if watch && !inBackground {
					left = min(left, backgroundAfter)
				}
				in.timer.Reset(left)
				continue
			}
			dur := time.Since(start)
			in.forget()
			in.kill()
			in.awaitExited(5 * time.Second)
			return in.timedOut(req, limit, dur), nil
		case <-ctx.Done():
			in.timer.Stop()
			in.forget()
			in.kill()
			in.awaitExited(5 * time.Second)
			return nil, fmt.Errorf("process: invoke %s: %w", in.spec.Function, ctx.Err())
		}
	}
	if inBackground {
		if err := in.box.Background(false); err != nil {
			in.log.Warn("instance: restore CPU weight", "err", err)
		}
	}
	dur := time.Since(start)
	in.timer.Stop()

	resp := &runtime.Response{Payload: res.payload, Duration: dur, Outcome: fn.OutcomeSuccess}
	if res.kind != resultResponse {
		resp.FunctionError = "Unhandled"
		resp.ErrorType = res.errorType
		resp.Outcome = fn.OutcomeError
		resp.Broken = !in.survived(req.Deadline)
	}
	resp.Logs = in.logs.take()
	resp.MaxMemoryMB = in.samplePeakMB(res.kind != resultResponse || dur > peakFreshAfter)
	if res.kind == resultError && in.box != nil && in.box.OOMKilled() {
		// A child was killed for lack of memory and the runtime reported
		// the failure: Lambda names the cause.
		resp.ErrorType = "Runtime.OutOfMemory"
		resp.Payload = errorJSON("Runtime.OutOfMemory", "RequestId: "+req.ID+" Error: Runtime exited with error: signal: killed"+in.outOfMemory())
		resp.Broken = true
	}
	return resp, nil
}

// timeout is the invocation's time limit, from the request's deadline, else
// the function's timeout.
func (in *instance) timeout(req *runtime.Request, start time.Time) time.Duration {
	switch {
	case !req.Deadline.IsZero():
		return req.Deadline.Sub(start)
	case in.spec.Timeout > 0:
		return in.spec.Timeout
	}
	return fn.MaxTimeoutSec * time.Second
}

// forget clears the invocation in flight: a late result is refused.
func (in *instance) forget() {
	in.mu.Lock()
	in.cur = nil
	in.mu.Unlock()
}

// survived waits briefly after a failed invocation until the runtime asks
// for its next event (true) or exits (false). aws-lambda-go, for one, posts
// a panic as an error and then exits; the instance must not be reused.
func (in *instance) survived(deadline time.Time) bool {
	took := in.took.Load()
	if in.polls.Load() > took {
		return true
	}
	in.timer.Reset(max(min(time.Until(deadline), errorGrace), time.Millisecond))
	defer in.timer.Stop()
	for in.polls.Load() <= took {
		select {
		case <-in.polled:
		case <-in.exited:
			return false
		case <-in.timer.C:
			return true // still running: assume it carries on
		}
	}
	return true
}

// crashed is the outcome of an invocation during which the process exited.
func (in *instance) crashed(req *runtime.Request, dur time.Duration) *runtime.Response {
	in.awaitExited(5 * time.Second)
	status := "unknown status"
	if in.exitState != nil {
		status = in.exitState.String() // "exit status 3", "signal: killed"
	}
	errorType := "Runtime.ExitError"
	// The kernel may have killed a child for lack of memory while the
	// runtime itself exited 0: the cgroup's OOM counter tells.
	if in.box != nil && in.box.OOMKilled() {
		errorType = "Runtime.OutOfMemory"
		status += in.outOfMemory()
	}
	return &runtime.Response{
		Payload:       errorJSON(errorType, "RequestId: "+req.ID+" Error: Runtime exited with error: "+status),
		FunctionError: "Unhandled",
		ErrorType:     errorType,
		Outcome:       fn.OutcomeCrash,
		Logs:          in.logs.take(),
		Duration:      dur,
		MaxMemoryMB:   in.peakMB(),
		Broken:        true,
	}
}

// outOfMemory is what an error message adds when the instance was killed
// for lack of memory: the limit it reached.
func (in *instance) outOfMemory() string {
	return fmt.Sprintf(" (out of memory: the function's limit is %d MB)", in.spec.MemoryMB)
}

// peakMB is the instance's peak memory: from its cgroup when it has one
// (it counts every process of the instance, and page cache, like Lambda),
// else the process's own peak resident size.
func (in *instance) peakMB() int {
	in.peakCached = in.readPeakMB()
	in.peakCalls = 0
	return in.peakCached
}

// Reading the peak costs 20–60 µs on a cgroup v1 host (a 4-syscall file
// read through cgroupfs) — more than the rest of the platform's share of a
// warm call. Short successful calls therefore reuse the last reading and
// refresh it every peakEvery calls; the first call, failed calls and calls
// longer than peakFreshAfter always read it. In between, every growthEvery
// calls, the main process's resident size (statm, one pread) is compared
// with its largest at the last reading, and growth forces a fresh one: a
// REPORT after a short call shows the instance's peak as of at most
// growthEvery-1 calls earlier when the process grew, peakEvery-1 when only
// its children did. (Even the statm read is ~8 µs of CPU on a loaded
// 2-core VM, a tenth of the platform's share, hence not on every call. The
// process's size is not compared with the cgroup's peak: it counts file
// pages, such as its executable, charged to another cgroup, so on some
// hosts it always exceeds the cgroup's peak.)
const (
	peakEvery      = 64
	growthEvery    = 8
	peakFreshAfter = 50 * time.Millisecond
)

// samplePeakMB returns the peak memory, read afresh when force is set, on
// the first call, or every peakEvery calls.
func (in *instance) samplePeakMB(force bool) int {
	if in.box == nil {
		return in.mem.peakMB() // cheap: an open statm file, sampled status
	}
	// The cgroup's peak is what is reported: the process's resident size
	// only tells when to read it afresh.
	in.peakCalls++
	if !force && in.peakCached != 0 && in.peakCalls < peakEvery && in.peakCalls%growthEvery != 0 {
		return in.peakCached
	}
	procPeak := in.mem.residentMB()
	// The process grew past its largest size: the instance's peak may have
	// moved.
	grew := procPeak > in.peakProc
	if force || grew || in.peakCached == 0 || in.peakCalls >= peakEvery {
		in.peakProc = procPeak
		return in.peakMB()
	}
	return in.peakCached
}

// readPeakMB reads the peak memory from the cgroup, or from /proc.
func (in *instance) readPeakMB() int {
	if in.box != nil {
		if mb, ok := in.box.PeakMB(); ok {
			return mb
		}
	}
	return in.mem.peakMB()
}

// timedOut is the outcome of an invocation stopped at its deadline; the
// process group has been killed.
func (in *instance) timedOut(req *runtime.Request, limit, dur time.Duration) *runtime.Response {
	secs := limit
	if in.spec.Timeout > 0 {
		secs = in.spec.Timeout // Lambda names the configured timeout
	}
	return &runtime.Response{
		Payload:       errorJSON("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", req.ID, secs.Seconds())),
		FunctionError: "Unhandled",
		ErrorType:     "Sandbox.Timedout",
		Outcome:       fn.OutcomeTimeout,
		Logs:          in.logs.take(),
		Duration:      dur,
		MaxMemoryMB:   in.peakMB(),
		Broken:        true,
	}
}
