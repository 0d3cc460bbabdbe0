package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/runtime/wasm/wasmtest"
)

// The Wasm twins of the sandbox's hostile tests: each guest misbehaves in
// one way, and the platform contains it.

func wantFailure(t *testing.T, resp *runtime.Response, outcome, errorType string, broken bool) {
	t.Helper()
	var body struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(resp.Payload, &body)
	if resp.Outcome != outcome || resp.ErrorType != errorType || resp.FunctionError != "Unhandled" ||
		resp.Broken != broken || body.ErrorType != errorType {
		t.Fatalf("response %+v, payload %.300s; want outcome %s, %s, broken %v", resp, resp.Payload, outcome, errorType, broken)
	}
}

func TestInfiniteLoopTimesOut(t *testing.T) {
	inst := start(t, newRuntime(t), spec("reactor.wasm", "loop"))
	began := time.Now()
	resp := call(t, inst, `{}`, 300*time.Millisecond)
	wantFailure(t, resp, fn.OutcomeTimeout, "Sandbox.Timedout", true)
	if waited := time.Since(began); waited > 5*time.Second {
		t.Errorf("the loop was stopped after %v", waited)
	}
	if inst.Alive() {
		t.Error("the instance is still alive after a timeout")
	}
}

func TestMemoryBombIsOutOfMemory(t *testing.T) {
	s := spec("reactor.wasm", "membomb")
	inst := start(t, newRuntime(t), s)
	resp := call(t, inst, `{}`, time.Minute)
	wantFailure(t, resp, fn.OutcomeCrash, "Runtime.OutOfMemory", true)
	if resp.MaxMemoryMB > s.MemoryMB || resp.MaxMemoryMB < s.MemoryMB/2 {
		t.Errorf("MaxMemoryMB %d: want at most the limit %d, and near it", resp.MaxMemoryMB, s.MemoryMB)
	}
}

func TestNoHostFilesystem(t *testing.T) {
	r := newRuntime(t)
	resp := call(t, start(t, r, spec("reactor.wasm", "passwd")), `{}`, 5*time.Second)
	wantFailure(t, resp, fn.OutcomeError, "ReadError", false)
	resp = call(t, start(t, r, spec("command.wasm", "passwd")), `{}`, 5*time.Second)
	wantFailure(t, resp, fn.OutcomeError, "Runtime.ExitError", false)
	if strings.Contains(string(resp.Payload), "root:") {
		t.Fatalf("the guest read /etc/passwd: %s", resp.Payload)
	}
	// A raw path_open relative to /tmp cannot climb out of it either.
	tmp := newTmpFS(t.TempDir(), 1<<20)
	for _, p := range []string{"../../../../etc/passwd", "/../etc/passwd", "a/../../etc/passwd"} {
		if f, errno := tmp.OpenFile(p, experimentalsys.O_RDONLY, 0); errno != experimentalsys.ENOENT {
			if f != nil {
				f.Close()
			}
			t.Errorf("OpenFile(%q) errno %v, want ENOENT inside /tmp", p, errno)
		}
	}
	if errno := tmp.Symlink("/etc/passwd", "x"); errno != experimentalsys.EPERM {
		t.Errorf("Symlink errno %v, want EPERM", errno)
	}
}

func TestTmpIsCapped(t *testing.T) {
	tmp := newTmpFS(t.TempDir(), 1<<20)
	f, errno := tmp.OpenFile("a", experimentalsys.O_CREAT|experimentalsys.O_RDWR, 0o644)
	if errno != 0 {
		t.Fatal(errno)
	}
	chunk := make([]byte, 256<<10)
	for i := range 4 {
		if _, errno := f.Write(chunk); errno != 0 {
			t.Fatalf("write %d within the cap: %v", i, errno)
		}
	}
	if _, errno := f.Write([]byte{1}); errno != experimentalsys.EIO {
		t.Fatalf("write past the cap: errno %v, want EIO", errno)
	}
	if _, errno := f.Pwrite([]byte{1}, 4<<20); errno != experimentalsys.EIO {
		t.Fatalf("pwrite past the cap: errno %v, want EIO", errno)
	}
	if errno := f.Truncate(2 << 20); errno != experimentalsys.EIO {
		t.Fatalf("truncate past the cap: errno %v, want EIO", errno)
	}
	f.Close()
	if errno := tmp.Unlink("a"); errno != 0 {
		t.Fatal(errno)
	}
	if got := tmp.used.Load(); got != 0 {
		t.Fatalf("%d bytes still charged after the file's removal", got)
	}
	// Through a guest: /tmp survives between calls of an instance, writes
	// count against the function's ephemeral storage (512 MB here).
	inst := start(t, newRuntime(t), spec("reactor.wasm", "tmp"))
	if resp := call(t, inst, `{"mb":2}`, 10*time.Second); resp.FunctionError != "" {
		t.Fatalf("writing 2 MB to /tmp: %s", resp.Payload)
	}
	if got := inst.tmp.used.Load(); got != 2<<20 {
		t.Errorf("/tmp holds %d bytes, want %d", got, 2<<20)
	}
}

func TestHugeStdout(t *testing.T) {
	r := newRuntime(t)
	// A reactor's stdout is its log: capped, and the instance lives on.
	inst := start(t, r, spec("reactor.wasm", "stdout"))
	resp := call(t, inst, `{"mb":20}`, 20*time.Second)
	if resp.FunctionError != "" || resp.Broken {
		t.Fatalf("response %+v, payload %.200s", resp, resp.Payload)
	}
	if len(resp.Logs) > maxLogBytes+200 || !strings.Contains(string(resp.Logs), "bytes of output dropped") {
		t.Errorf("logs of %d bytes, tail %q: want them capped at %d with a note", len(resp.Logs), resp.Logs[max(0, len(resp.Logs)-120):], maxLogBytes)
	}
	if resp := call(t, inst, `{"mb":0}`, 5*time.Second); resp.FunctionError != "" || len(resp.Logs) != 0 {
		t.Errorf("next call: %+v", resp)
	}
	// A command's stdout is its response: past 6 MB it is an error.
	cmd := start(t, r, spec("command.wasm", "stdout"))
	resp = call(t, cmd, `{"mb":10}`, 20*time.Second)
	wantFailure(t, resp, fn.OutcomeError, "Function.ResponseSizeTooLarge", false)
	if resp := call(t, cmd, `{"mb":1}`, 5*time.Second); resp.FunctionError != "" || len(resp.Payload) != 1<<20 {
		t.Errorf("next call: error %q, %d bytes", resp.ErrorType, len(resp.Payload))
	}
}

func TestDeepRecursionTraps(t *testing.T) {
	r := newRuntime(t)
	s := spec("recursion.wasm", "")
	inst := start(t, r, s)
	if resp := call(t, inst, `{}`, 5*time.Second); resp.FunctionError != "" || string(resp.Payload) != "{}" {
		t.Fatalf("first call: %+v %s", resp, resp.Payload)
	}
	resp := call(t, inst, `1`, time.Minute)
	wantFailure(t, resp, fn.OutcomeCrash, "Runtime.ExitError", true)
	if !strings.Contains(string(resp.Payload), "stack overflow") {
		t.Errorf("payload %s: want the trap named", resp.Payload)
	}
	next := start(t, r, s)
	if resp := call(t, next, `{}`, 5*time.Second); resp.FunctionError != "" {
		t.Fatalf("a new instance after the trap: %+v %s", resp, resp.Payload)
	}
}

func TestCheckRefusesBadModules(t *testing.T) {
	r := newRuntime(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		code []byte
		want string
	}{
		{"unknown import", wasmtest.UnknownImportCommand(), "env.launch_missiles"},
		{"not wasm", []byte("#!/bin/sh\necho hi\n"), "not valid WebAssembly"},
		{"no entry point", wasmtest.BigMemoryCommand(1)[:8], "exports neither"},
	} {
		err := r.Check(ctx, tc.code)
		var fe *fn.Error
		if !errors.As(err, &fe) || fe.Type != fn.TypeInvalidParameterValue || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want an InvalidParameterValueException naming %q", tc.name, err, tc.want)
		}
	}
	for _, good := range [][]byte{wasmtest.EchoCommand(), wasmtest.RecursionReactor()} {
		if err := r.Check(ctx, good); err != nil {
			t.Errorf("Check of a good module: %v", err)
		}
	}
}

func TestCommandExitStatus(t *testing.T) {
	inst := start(t, newRuntime(t), spec("command.wasm", "exit"))
	resp := call(t, inst, `{}`, 5*time.Second)
	wantFailure(t, resp, fn.OutcomeError, "Runtime.ExitError", false)
	var body struct{ ErrorMessage string }
	json.Unmarshal(resp.Payload, &body)
	if body.ErrorMessage != "something went wrong" || !strings.Contains(string(resp.Logs), "first line\n") {
		t.Errorf("errorMessage %q, logs %q: want the last stderr line, and stderr in the logs", body.ErrorMessage, resp.Logs)
	}
}

func TestHostEnvironmentAndClock(t *testing.T) {
	s := spec("reactor.wasm", "env")
	s.Env["GREETING"] = "hello"
	inst := start(t, newRuntime(t), s)
	for _, v := range []string{"GREETING", "AWS_LAMBDA_FUNCTION_NAME"} {
		resp := call(t, inst, `{"message":"`+v+`"}`, 5*time.Second)
		var out struct {
			Env string
			Now int64
		}
		if err := json.Unmarshal(resp.Payload, &out); err != nil {
			t.Fatalf("%s: %v", resp.Payload, err)
		}
		want := map[string]string{"GREETING": "hello", "AWS_LAMBDA_FUNCTION_NAME": s.Function}[v]
		if out.Env != want {
			t.Errorf("%s = %q, want %q", v, out.Env, want)
		}
		if d := time.Since(time.Unix(out.Now, 0)); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("the guest's clock is %v off the host's", d)
		}
	}
}

// TestCloseDuringCall: closing an instance (the platform shutting down)
// stops its running call, which fails, and frees its memory only after the
// guest stopped; the runtime lives on.
func TestCloseDuringCall(t *testing.T) {
	r := newRuntime(t)
	for _, module := range []string{"reactor.wasm", "command.wasm"} {
		inst := start(t, r, spec(module, "sleep"))
		done := make(chan error, 1)
		go func() {
			_, err := inst.Invoke(context.Background(), &runtime.Request{ID: "x", Payload: []byte(`{"ms":60000}`), Deadline: time.Now().Add(time.Minute)})
			done <- err
		}()
		time.Sleep(200 * time.Millisecond) // the guest is asleep by now, or soon
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := inst.Close(ctx)
		cancel()
		if err != nil {
			t.Fatalf("%s: Close during a call: %v", module, err)
		}
		if err := <-done; err == nil {
			t.Errorf("%s: the call survived Close", module)
		}
		if !inst.stopped() {
			t.Errorf("%s: still running after Close", module)
		}
	}
	if resp := call(t, start(t, r, spec("reactor.wasm", "echo")), `{"a":1}`, 5*time.Second); resp.FunctionError != "" {
		t.Fatalf("a new instance after: %s", resp.Payload)
	}
}
