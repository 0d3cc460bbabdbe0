package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// Invoke runs req: a reactor's updraft_handle on its warm module, or a
// command's _start on a fresh one. The call is stopped at req's deadline
// (wazero closes the module when the context is done) and the instance is
// then Broken, as after a trap or a reactor's exit.
func (in *instance) Invoke(ctx context.Context, req *runtime.Request) (*runtime.Response, error) {
	if in.broken.Load() {
		return nil, fmt.Errorf("wasm: invoke %s: instance is broken by an earlier call", in.spec.Function)
	}
	start := time.Now()
	limit := in.timeout(req, start)
	callCtx, cancel := context.WithDeadline(ctx, start.Add(limit))
	defer cancel()
	if !in.begin(cancel) {
		return nil, fmt.Errorf("wasm: invoke %s: instance closed", in.spec.Function)
	}
	defer in.end()
	in.cur.Store(&callCtx)
	defer in.cur.Store(nil)
	if in.mod.kind == reactor {
		return in.invokeReactor(ctx, callCtx, req, start, limit)
	}
	return in.invokeCommand(ctx, callCtx, req, start, limit)
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

// invokeReactor hands the event to updraft_alloc's buffer, calls
// updraft_handle and copies the response out of the guest's memory.
func (in *instance) invokeReactor(ctx, callCtx context.Context, req *runtime.Request, start time.Time, limit time.Duration) (*runtime.Response, error) {
	s := in.stack[:]
	s[0] = uint64(len(req.Payload))
	if err := in.alloc.CallWithStack(callCtx, s); err != nil {
		return in.failed(ctx, req, err, start, limit)
	}
	ptr := uint32(s[0])
	mem := in.m.Memory()
	if !mem.Write(ptr, req.Payload) {
		return in.abiError(req, start, fmt.Sprintf("%s returned %d, which with %d bytes is outside the module's memory", exportAlloc, ptr, len(req.Payload)))
	}
	s[0], s[1], s[2] = uint64(ptr), uint64(len(req.Payload)), uint64(req.Deadline.UnixMilli())
	if err := in.handle.CallWithStack(callCtx, s); err != nil {
		return in.failed(ctx, req, err, start, limit)
	}
	status := uint32(s[0])
	if err := in.respond.CallWithStack(callCtx, s); err != nil {
		return in.failed(ctx, req, err, start, limit)
	}
	rptr, rlen := uint32(s[0]>>32), uint32(s[0])
	resp := &runtime.Response{Outcome: fn.OutcomeSuccess, Duration: time.Since(start)}
	if rlen > fn.MaxSyncPayload {
		resp.ErrorType = "Function.ResponseSizeTooLarge"
		resp.Payload = errorJSON(resp.ErrorType, tooLargeMessage(int64(rlen)))
	} else if out, ok := mem.Read(rptr, rlen); ok {
		resp.Payload = bytes.Clone(out)
	} else {
		return in.abiError(req, start, fmt.Sprintf("%s returned %d bytes at %d, outside the module's memory", exportResponse, rlen, rptr))
	}
	if status != 0 && resp.ErrorType == "" {
		resp.ErrorType = errorTypeOf(resp.Payload)
		if resp.ErrorType == "Runtime.UnknownError" { // not Lambda's error JSON: wrap it
			resp.Payload = errorJSON(resp.ErrorType, string(resp.Payload))
		}
	}
	if resp.ErrorType != "" {
		resp.FunctionError, resp.Outcome = "Unhandled", fn.OutcomeError
	}
	resp.Logs = in.logs.take()
	resp.MaxMemoryMB = in.mem.peakMB()
	return resp, nil
}

// abiError is a reactor that broke the ABI: a crash, the instance Broken.
func (in *instance) abiError(req *runtime.Request, start time.Time, msg string) (*runtime.Response, error) {
	in.discard()
	return in.crash(req, start, "Runtime.InvalidResponse", msg), nil
}

// errorTypeOf is the errorType of a handled error's JSON, or one that says
// the guest did not send Lambda's error JSON.
func errorTypeOf(payload []byte) string {
	var body struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(payload, &body) != nil || body.ErrorType == "" {
		return "Runtime.UnknownError"
	}
	return body.ErrorType
}

// invokeCommand runs the module's _start with the event on stdin: exit 0
// and its stdout is the response; another exit status is a function error
// (stdout's error JSON if it wrote one, else Runtime.ExitError and the last
// line of stderr); a trap is a crash.
func (in *instance) invokeCommand(ctx, callCtx context.Context, req *runtime.Request, start time.Time, limit time.Duration) (*runtime.Response, error) {
	stdout := &capBuffer{max: fn.MaxSyncPayload}
	cfg := in.base.WithStdin(bytes.NewReader(req.Payload)).WithStdout(stdout).
		WithEnv("AWS_LAMBDA_REQUEST_ID", req.ID).
		WithEnv("AWS_LAMBDA_DEADLINE_MS", strconv.FormatInt(start.Add(limit).UnixMilli(), 10))
	in.mem.denied.Store(false)
	m, err := in.rt.wz.InstantiateModule(experimental.WithMemoryAllocator(callCtx, in.mem), in.mod.compiled, cfg)
	if m != nil {
		m.Close(context.WithoutCancel(ctx))
	}
	var exit *sys.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() >= sys.ExitCodeDeadlineExceeded || in.mem.denied.Load()) {
		return in.failed(ctx, req, err, start, limit)
	}
	resp := &runtime.Response{Outcome: fn.OutcomeSuccess, Duration: time.Since(start), MaxMemoryMB: in.mem.peakMB()}
	n, over := stdout.overflowed()
	out := stdout.take()
	logs := in.logs.take()
	resp.Logs = logs
	switch {
	case over:
		resp.ErrorType = "Function.ResponseSizeTooLarge"
		resp.Payload = errorJSON(resp.ErrorType, tooLargeMessage(n))
	case err == nil:
		resp.Payload = out
		return resp, nil
	case json.Valid(out) && errorTypeOf(out) != "Runtime.UnknownError":
		resp.ErrorType, resp.Payload = errorTypeOf(out), out
	default:
		resp.ErrorType = "Runtime.ExitError"
		msg := lastLine(logs)
		if msg == "" {
			msg = "RequestId: " + req.ID + " Error: Runtime exited with error: " + describe(err)
		}
		resp.Payload = errorJSON(resp.ErrorType, msg)
	}
	resp.FunctionError, resp.Outcome = "Unhandled", fn.OutcomeError
	return resp, nil
}

// lastLine is the last non-empty line of b.
func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}

// failed is the outcome of a call the guest did not finish: a timeout, a
// memory limit, an exit or a trap. The instance is Broken. A call cancelled
// by the caller is an error, as for process instances.
func (in *instance) failed(ctx context.Context, req *runtime.Request, err error, start time.Time, limit time.Duration) (*runtime.Response, error) {
	in.discard()
	var exit *sys.ExitError
	isExit := errors.As(err, &exit)
	switch {
	case ctx.Err() != nil:
		in.logs.take()
		return nil, fmt.Errorf("wasm: invoke %s: %w", in.spec.Function, context.Cause(ctx))
	case in.isClosed():
		in.logs.take()
		return nil, fmt.Errorf("wasm: invoke %s: the instance was closed during the call", in.spec.Function)
	case isExit && exit.ExitCode() >= sys.ExitCodeDeadlineExceeded, time.Since(start) >= limit && !in.mem.denied.Load():
		secs := limit
		if in.spec.Timeout > 0 {
			secs = in.spec.Timeout // Lambda names the configured timeout
		}
		return &runtime.Response{
			Payload:       errorJSON("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", req.ID, secs.Seconds())),
			FunctionError: "Unhandled", ErrorType: "Sandbox.Timedout", Outcome: fn.OutcomeTimeout,
			Logs: in.logs.take(), Duration: time.Since(start), MaxMemoryMB: in.mem.peakMB(), Broken: true,
		}, nil
	case in.mem.denied.Load():
		return in.crash(req, start, "Runtime.OutOfMemory", "RequestId: "+req.ID+" Error: Runtime exited with error: out of memory"+in.outOfMemory()), nil
	}
	return in.crash(req, start, "Runtime.ExitError", "RequestId: "+req.ID+" Error: Runtime exited with error: "+describe(err)), nil
}

// crash is the response to a call that ended the instance.
func (in *instance) crash(req *runtime.Request, start time.Time, errorType, msg string) *runtime.Response {
	return &runtime.Response{
		Payload: errorJSON(errorType, msg), FunctionError: "Unhandled", ErrorType: errorType,
		Outcome: fn.OutcomeCrash, Logs: in.logs.take(), Duration: time.Since(start),
		MaxMemoryMB: in.mem.peakMB(), Broken: true,
	}
}

// discard marks the instance Broken and closes a reactor's module: its
// state is unknown after a trap, an exit or a timeout.
func (in *instance) discard() {
	in.broken.Store(true)
	if in.m != nil {
		in.m.Close(context.Background())
	}
}
