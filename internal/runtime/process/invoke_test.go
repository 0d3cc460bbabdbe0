package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestHelloGo(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(helloDir))
	if inst.InitDuration() <= 0 || inst.InitDuration() > 5*time.Second {
		t.Errorf("InitDuration = %v", inst.InitDuration())
	}
	for _, name := range []string{"Ada", "", "Grace"} {
		payload := `{"name":"` + name + `"}`
		_, resp := invoke(t, inst, payload)
		if name == "" {
			name = "world"
		}
		want := `{"message":"Hello, ` + name + `!"}`
		if string(resp.Payload) != want || resp.FunctionError != "" || resp.Outcome != fn.OutcomeSuccess || resp.Broken {
			t.Fatalf("got %+v, payload %s; want %s", resp, resp.Payload, want)
		}
		if string(resp.Logs) != "greeting "+name+"\n" {
			t.Errorf("logs = %q", resp.Logs)
		}
		if resp.Duration <= 0 || resp.MaxMemoryMB <= 0 {
			t.Errorf("duration %v, max memory %d MB", resp.Duration, resp.MaxMemoryMB)
		}
	}
	if st := procState(inst.pid); st == "" || st == "Z" {
		t.Errorf("warm instance's process state %q", st)
	}
}

func TestWarmReuseAndContext(t *testing.T) {
	r := newRuntime(t)
	spec := goSpec(behaveDir)
	inst := start(t, r, spec)
	if logs := string(inst.InitLogs()); logs != "behave: init\n" {
		t.Errorf("InitLogs = %q", logs)
	}
	if inst.InitLogs() != nil {
		t.Error("InitLogs returned the logs twice")
	}
	for range 5 {
		_, resp := invoke(t, inst, `{"action":"pid"}`)
		if got := decode[map[string]int](t, resp.Payload)["pid"]; got != inst.pid {
			t.Fatalf("pid %d, want the same process %d", got, inst.pid)
		}
	}
	req, resp := invoke(t, inst, `{"action":"context"}`)
	got := decode[map[string]any](t, resp.Payload)
	if got["request_id"] != req.ID || got["arn"] != spec.ARN || got["cwd"] != behaveDir ||
		int64(got["deadline_ms"].(float64)) != req.Deadline.UnixMilli() {
		t.Errorf("context %v; request %s deadline %d", got, req.ID, req.Deadline.UnixMilli())
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("UPDRAFT_TEST_CANARY", "must-not-leak")
	r := newRuntime(t)
	spec := goSpec(behaveDir)
	spec.Env = map[string]string{"GREETING": "hi", "AWS_LAMBDA_RUNTIME_API": "evil:1"}
	spec.Handler = "bootstrap"
	spec.MemoryMB = 256
	inst := start(t, r, spec)
	_, resp := invoke(t, inst, `{"action":"env"}`)
	env := map[string]string{}
	for _, kv := range decode[[]string](t, resp.Payload) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	want := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC", "HOME": "/tmp",
		"LAMBDA_TASK_ROOT": behaveDir, "LAMBDA_RUNTIME_DIR": r.cfg.RuntimeDir, "_HANDLER": "bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME": "behave", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_RUNTIME_API": r.Addr() + "/" + inst.token,
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/behave", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_REGION": fn.Region, "AWS_DEFAULT_REGION": fn.Region, "AWS_EXECUTION_ENV": "AWS_Lambda_provided",
		"GREETING": "hi", "GOMAXPROCS": "1",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if s := env["AWS_LAMBDA_LOG_STREAM_NAME"]; !strings.Contains(s, "/[$LATEST]") || strings.Contains(s, inst.token) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", s)
	}
	if len(inst.token) != tokenLen || strings.Trim(inst.token, "0123456789abcdef") != "" {
		t.Errorf("token %q is not 128 bits of hex", inst.token)
	}
	for k := range env {
		// aws-lambda-go sets _X_AMZN_TRACE_ID itself.
		if _, ok := want[k]; !ok && k != "AWS_LAMBDA_LOG_STREAM_NAME" && k != "_X_AMZN_TRACE_ID" {
			t.Errorf("unexpected variable %s=%q (leaked from the platform?)", k, env[k])
		}
	}
}

// TestLogAttribution: output printed right before returning belongs to
// that call, every time, although the reader goroutine races the result.
func TestLogAttribution(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	inst.InitLogs()
	for call := range 50 {
		tag := "call" + strconv.Itoa(call)
		_, resp := invoke(t, inst, `{"action":"lines","n":200,"tag":"`+tag+`"}`)
		lines := strings.Split(strings.TrimSuffix(string(resp.Logs), "\n"), "\n")
		if len(lines) != 200 {
			t.Fatalf("call %d: %d lines, want 200:\n%s", call, len(lines), resp.Logs)
		}
		// stdout and stderr share one pipe, so the order is the write order.
		for i, l := range lines {
			if want := tag + " line " + strconv.Itoa(i); l != want {
				t.Fatalf("call %d line %d = %q, want %q", call, i, l, want)
			}
		}
	}
}

func TestLogsBetweenCallsGoToTheNext(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"later","n":20,"tag":"late line"}`)
	if len(resp.Logs) != 0 {
		t.Errorf("first call logs %q", resp.Logs)
	}
	time.Sleep(150 * time.Millisecond)
	_, resp = invoke(t, inst, `{"action":"pid"}`)
	if string(resp.Logs) != "late line\n" {
		t.Errorf("second call logs %q, want the late line", resp.Logs)
	}
}

func TestLogCap(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	const total = 3 << 20 // three times the pipe-draining cap, twenty pipes full
	_, resp := invoke(t, inst, `{"action":"flood","n":`+strconv.Itoa(total)+`}`)
	if string(resp.Payload) != `"flooded"` {
		t.Fatalf("payload %s", resp.Payload)
	}
	trailer := fmt.Sprintf("[updraft] log output truncated: %d bytes dropped\n", total-maxLogBytes)
	// The cap cuts a line: the trailer starts on a line of its own.
	if len(resp.Logs) != maxLogBytes+1+len(trailer) || !bytes.HasSuffix(resp.Logs, []byte("f\n"+trailer)) {
		t.Fatalf("logs: %d bytes ending %q", len(resp.Logs), resp.Logs[max(0, len(resp.Logs)-80):])
	}
	_, resp = invoke(t, inst, `{"action":"lines","n":2,"tag":"after"}`)
	if string(resp.Logs) != "after line 0\nafter line 1\n" {
		t.Errorf("next call logs %q", resp.Logs)
	}
}

func TestTimeout(t *testing.T) {
	r := newRuntime(t)
	spec := goSpec(behaveDir)
	spec.Timeout = time.Second
	inst := start(t, r, spec)
	req, resp := invoke(t, inst, `{"action":"spawn","n":10000}`)
	want := `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ` + req.ID + ` Error: Task timed out after 1.00 seconds"}`
	if string(resp.Payload) != want {
		t.Errorf("payload %s\nwant    %s", resp.Payload, want)
	}
	if resp.FunctionError != "Unhandled" || resp.ErrorType != "Sandbox.Timedout" || resp.Outcome != fn.OutcomeTimeout || !resp.Broken {
		t.Errorf("response %+v", resp)
	}
	if resp.Duration < time.Second || resp.Duration > 2*time.Second {
		t.Errorf("duration %v", resp.Duration)
	}
	// The process was killed and reaped: not even a zombie is left.
	if st := procState(inst.pid); st != "" {
		t.Errorf("timed-out process %d is still there, state %q", inst.pid, st)
	}
	var child int
	if _, err := fmt.Sscanf(string(resp.Logs), "child %d", &child); err != nil {
		t.Fatalf("logs %q: %v", resp.Logs, err)
	}
	waitGone(t, child, true) // killed with its group; reaped by init
}

func TestExitMidCall(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	req, resp := invoke(t, inst, `{"action":"exit","n":3}`)
	want := `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + req.ID + ` Error: Runtime exited with error: exit status 3"}`
	if string(resp.Payload) != want || resp.ErrorType != "Runtime.ExitError" || resp.Outcome != fn.OutcomeCrash || !resp.Broken || resp.FunctionError != "Unhandled" {
		t.Errorf("response %+v\npayload %s\nwant    %s", resp, resp.Payload, want)
	}
	if string(resp.Logs) != "exiting with 3\n" {
		t.Errorf("logs %q", resp.Logs)
	}
	if st := procState(inst.pid); st != "" {
		t.Errorf("exited process is still there, state %q", st)
	}
}

func TestHandledError(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"error","tag":"bad input"}`)
	body := decode[map[string]any](t, resp.Payload)
	if body["errorMessage"] != "handled failure: bad input" || resp.ErrorType != body["errorType"] ||
		resp.FunctionError != "Unhandled" || resp.Outcome != fn.OutcomeError || resp.Broken {
		t.Fatalf("response %+v, payload %s", resp, resp.Payload)
	}
	_, resp = invoke(t, inst, `{"action":"pid"}`) // the instance carries on
	if resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("call after a handled error: %+v %s", resp, resp.Payload)
	}
}

// TestPanic: aws-lambda-go posts a panic as an error, then exits; the
// instance must be reported broken so that the pool does not reuse it.
func TestPanic(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"panic","tag":"now"}`)
	body := decode[map[string]any](t, resp.Payload)
	if body["errorMessage"] != "behave panics: now" || resp.Outcome != fn.OutcomeError || !resp.Broken {
		t.Fatalf("response %+v, payload %s", resp, resp.Payload)
	}
}

func TestResponseTooLarge(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"big","n":`+strconv.Itoa(fn.MaxSyncPayload+1)+`}`)
	if resp.ErrorType != "Function.ResponseSizeTooLarge" || resp.Outcome != fn.OutcomeError || resp.FunctionError != "Unhandled" {
		t.Fatalf("response %+v, payload %s", resp, resp.Payload)
	}
	decode[map[string]any](t, resp.Payload)
	// aws-lambda-go exits when its response is refused.
	if !resp.Broken {
		t.Errorf("instance not broken although its runtime exits: logs %q", resp.Logs)
	}
}

func TestLargeResponseAndMemory(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	const n = 1 << 20
	_, resp := invoke(t, inst, `{"action":"big","n":`+strconv.Itoa(n)+`}`)
	if len(resp.Payload) != n+2 || resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("payload of %d bytes, response %+v", len(resp.Payload), resp.Outcome)
	}
	for range 20 { // crosses a status sample
		_, resp = invoke(t, inst, `{"action":"mem","n":64}`)
	}
	if resp.MaxMemoryMB < 64 {
		t.Errorf("MaxMemoryMB = %d after touching 64 MB", resp.MaxMemoryMB)
	}
}

func TestConcurrentInstances(t *testing.T) {
	r := newRuntime(t)
	var wg sync.WaitGroup
	for i := range 4 {
		inst := start(t, r, goSpec(helloDir))
		wg.Go(func() {
			for j := range 25 {
				name := fmt.Sprintf("i%dc%d", i, j)
				_, resp := invoke(t, inst, `{"name":"`+name+`"}`)
				if want := `{"message":"Hello, ` + name + `!"}`; string(resp.Payload) != want {
					t.Errorf("got %s, want %s", resp.Payload, want)
					return
				}
				if want := "greeting " + name + "\n"; string(resp.Logs) != want {
					t.Errorf("logs %q, want %q", resp.Logs, want)
				}
			}
		})
	}
	wg.Wait()
}

func TestInitExit(t *testing.T) {
	r := newRuntime(t)
	dir := t.TempDir()
	script := "#!/bin/sh\necho starting up\necho cannot find config >&2\nexit 1\n"
	if err := os.WriteFile(dir+"/bootstrap", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := r.NewInstance(context.Background(), goSpec(dir))
	ie := asInitError(t, err)
	want := `{"errorType":"Runtime.ExitError","errorMessage":"Error: Runtime exited with error: exit status 1"}`
	if ie.ErrorType != "Runtime.ExitError" || string(ie.Payload) != want {
		t.Errorf("init error %s %s", ie.ErrorType, ie.Payload)
	}
	if string(ie.Logs) != "starting up\ncannot find config\n" || ie.Duration <= 0 {
		t.Errorf("logs %q, duration %v", ie.Logs, ie.Duration)
	}
	r.mu.RLock()
	left := len(r.insts)
	r.mu.RUnlock()
	if left != 0 {
		t.Errorf("%d tokens left registered", left)
	}
}

func TestInitErrorPosted(t *testing.T) {
	r := newRuntime(t)
	spec := goSpec(behaveDir)
	spec.Env = map[string]string{"INIT_ACTION": "initerror"}
	_, err := r.NewInstance(context.Background(), spec)
	ie := asInitError(t, err)
	body := decode[map[string]any](t, ie.Payload)
	if ie.ErrorType != "Runtime.ConfigError" || body["errorMessage"] != "missing config" {
		t.Errorf("init error %s %s", ie.ErrorType, ie.Payload)
	}
	if !strings.HasPrefix(string(ie.Logs), "behave: init\n") {
		t.Errorf("logs %q", ie.Logs)
	}
}

func TestInitTimeout(t *testing.T) {
	r, err := New(Config{RuntimeDir: t.TempDir(), InitTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	spec := goSpec(behaveDir)
	spec.Env = map[string]string{"INIT_ACTION": "hang"}
	_, err = r.NewInstance(context.Background(), spec)
	ie := asInitError(t, err)
	if ie.ErrorType != "Runtime.InitTimeout" || string(ie.Logs) != "behave: init\n" {
		t.Errorf("init error %s %s, logs %q", ie.ErrorType, ie.Payload, ie.Logs)
	}
}

func TestMissingBootstrap(t *testing.T) {
	r := newRuntime(t)
	_, err := r.NewInstance(context.Background(), goSpec(t.TempDir()))
	ie := asInitError(t, err)
	if ie.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(string(ie.Payload), "bootstrap") {
		t.Errorf("init error %s %s", ie.ErrorType, ie.Payload)
	}
}

func TestMissingInterpreter(t *testing.T) {
	r, err := New(Config{RuntimeDir: t.TempDir(), Python: "", Node: ""})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.interpreter(new(string), "no-such-interpreter-xyz", "install it")
	if err == nil || !strings.Contains(err.Error(), "no-such-interpreter-xyz") || !strings.Contains(err.Error(), "install it") {
		t.Errorf("err = %v", err)
	}
}

func TestClose(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(helloDir))
	other := start(t, r, goSpec(helloDir))
	if err := inst.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := inst.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if st := procState(inst.pid); st != "" {
		t.Errorf("closed instance's process state %q", st)
	}
	if _, err := inst.Invoke(context.Background(), newRequest(`{}`, time.Second)); err == nil {
		t.Error("Invoke after Close succeeded")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := procState(other.pid); st != "" {
		t.Errorf("Runtime.Close left process %d, state %q", other.pid, st)
	}
	if _, err := r.NewInstance(context.Background(), goSpec(helloDir)); err == nil {
		t.Error("NewInstance after Close succeeded")
	}
}

func TestInvokeContextCancelled(t *testing.T) {
	r := newRuntime(t)
	inst := start(t, r, goSpec(behaveDir))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := inst.Invoke(ctx, newRequest(`{"action":"sleep","n":5000}`, 3*time.Second))
	if err == nil {
		t.Fatal("Invoke returned no error for a cancelled context")
	}
	if st := procState(inst.pid); st != "" {
		t.Errorf("process state %q after cancel", st)
	}
}
