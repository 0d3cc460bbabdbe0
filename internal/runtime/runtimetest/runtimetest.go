package runtimetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// Fixture names a function behaviour the suite needs (see the package doc).
type Fixture string

// The fixtures every runtime supplies.
const (
	Echo     Fixture = "echo"
	Count    Fixture = "count"
	Error    Fixture = "error"
	InitFail Fixture = "init-fail"
	Sleep    Fixture = "sleep"
	Crash    Fixture = "crash"
	Log      Fixture = "log"
)

// Fixtures lists every fixture, for runtimes that build them in a loop.
var Fixtures = []Fixture{Echo, Count, Error, InitFail, Sleep, Crash, Log}

// Harness is what a runtime gives the suite.
type Harness struct {
	// NewRuntime returns a started Runtime and registers its Close with
	// t.Cleanup.
	NewRuntime func(t *testing.T) runtime.Runtime
	// Spec returns the Spec of a function that behaves as fixture f.
	// Its Timeout should be a few seconds: the suite sets each request's
	// Deadline itself.
	Spec func(t *testing.T, f Fixture) runtime.Spec
	// Stopped reports whether everything inst ran (its process, its
	// module) has stopped. It is asked after Close; nil skips the check.
	Stopped func(t *testing.T, inst runtime.Instance) bool
}

// callTimeout bounds every NewInstance and Invoke the suite makes: a hung
// runtime fails the test instead of hanging it.
const callTimeout = time.Minute

// Run runs the suite against h's runtime, one subtest per property.
func Run(t *testing.T, h Harness) {
	if h.NewRuntime == nil || h.Spec == nil {
		t.Fatal("runtimetest: Harness needs NewRuntime and Spec")
	}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"Echo", testEcho},
		{"SequentialCallsReuseTheInstance", testReuse},
		{"HandledError", testHandledError},
		{"InitFailure", testInitFailure},
		{"Timeout", testTimeout},
		{"Crash", testCrash},
		{"LogsPerInvocation", testLogs},
		{"CloseIsIdempotent", testClose},
		{"LargePayload", testLargePayload},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func testEcho(t *testing.T, h Harness) {
	inst := start(t, h, Echo)
	if d := inst.InitDuration(); d <= 0 {
		t.Errorf("InitDuration = %v, want > 0", d)
	}
	event := `{"hello":"world","n":[1,2,3],"nested":{"ok":true}}`
	resp := invoke(t, inst, event, 10*time.Second)
	wantSuccess(t, resp)
	if !jsonEqual(resp.Payload, []byte(event)) {
		t.Errorf("payload %s, want %s", resp.Payload, event)
	}
	if resp.Duration <= 0 {
		t.Errorf("Duration = %v, want > 0", resp.Duration)
	}
}

func testReuse(t *testing.T, h Harness) {
	inst := start(t, h, Count)
	for i := 1; i <= 5; i++ {
		resp := invoke(t, inst, `{}`, 10*time.Second)
		wantSuccess(t, resp)
		if want := fmt.Sprintf(`{"count":%d}`, i); !jsonEqual(resp.Payload, []byte(want)) {
			t.Fatalf("call %d: payload %s, want %s: not the same instance, or init ran again", i, resp.Payload, want)
		}
	}
}

func testHandledError(t *testing.T, h Harness) {
	inst := start(t, h, Error)
	for _, msg := range []string{"bad input", "still bad"} {
		resp := invoke(t, inst, `{"message":"`+msg+`"}`, 10*time.Second)
		body := errorBody(t, resp.Payload)
		if resp.FunctionError != "Unhandled" || resp.ErrorType != "FixtureError" || resp.Outcome != fn.OutcomeError || resp.Broken ||
			body.ErrorType != "FixtureError" || body.ErrorMessage != msg {
			t.Fatalf("response %+v, payload %s; want an Unhandled FixtureError %q on a live instance", resp, resp.Payload, msg)
		}
	}
}

func testInitFailure(t *testing.T, h Harness) {
	rt := h.NewRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	inst, err := rt.NewInstance(ctx, h.Spec(t, InitFail))
	if err == nil {
		inst.Close(context.Background())
		t.Fatal("NewInstance of a function whose init fails succeeded")
	}
	var ie *runtime.InitError
	if !errors.As(err, &ie) {
		t.Fatalf("NewInstance error %T %v, want a *runtime.InitError", err, err)
	}
	body := errorBody(t, ie.Payload)
	if ie.ErrorType == "" || body.ErrorType != ie.ErrorType || body.ErrorMessage == "" || ie.Duration <= 0 {
		t.Errorf("init error type %q, payload %s, duration %v", ie.ErrorType, ie.Payload, ie.Duration)
	}
}

func testTimeout(t *testing.T, h Harness) {
	inst := start(t, h, Sleep)
	const sleep = 30 * time.Second
	began := time.Now()
	resp := invoke(t, inst, fmt.Sprintf(`{"ms":%d}`, sleep.Milliseconds()), 500*time.Millisecond)
	body := errorBody(t, resp.Payload)
	if resp.Outcome != fn.OutcomeTimeout || !resp.Broken || resp.FunctionError != "Unhandled" ||
		resp.ErrorType != "Sandbox.Timedout" || body.ErrorType != resp.ErrorType {
		t.Errorf("response %+v, payload %s; want a Sandbox.Timedout timeout on a Broken instance", resp, resp.Payload)
	}
	if waited := time.Since(began); waited >= sleep {
		t.Errorf("Invoke returned after %v: the platform waited for the function instead of stopping it", waited)
	}
}

func testCrash(t *testing.T, h Harness) {
	inst := start(t, h, Crash)
	resp := invoke(t, inst, `{}`, 10*time.Second)
	body := errorBody(t, resp.Payload)
	if resp.Outcome != fn.OutcomeCrash || !resp.Broken || resp.FunctionError != "Unhandled" ||
		resp.ErrorType == "" || body.ErrorType != resp.ErrorType {
		t.Errorf("response %+v, payload %s; want a crash on a Broken instance", resp, resp.Payload)
	}
}

func testLogs(t *testing.T, h Harness) {
	inst := start(t, h, Log)
	inst.InitLogs()
	first := invoke(t, inst, `{"lines":["first-a","first-b"]}`, 10*time.Second)
	wantSuccess(t, first)
	second := invoke(t, inst, `{"lines":["second-a"]}`, 10*time.Second)
	wantSuccess(t, second)
	logs1, logs2 := string(first.Logs), string(second.Logs)
	a, b := strings.Index(logs1, "first-a\n"), strings.Index(logs1, "first-b\n")
	if a < 0 || b < a || strings.Contains(logs1, "second-") {
		t.Errorf("first call's logs %q: want first-a then first-b, and nothing of the second call", logs1)
	}
	if !strings.Contains(logs2, "second-a\n") || strings.Contains(logs2, "first-") {
		t.Errorf("second call's logs %q: want second-a only", logs2)
	}
}

func testClose(t *testing.T, h Harness) {
	rt := h.NewRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	inst, err := rt.NewInstance(ctx, h.Spec(t, Echo))
	if err != nil {
		t.Fatalf("NewInstance: %v", err)
	}
	wantSuccess(t, invoke(t, inst, `{}`, 10*time.Second))
	if err := inst.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := inst.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if resp, err := inst.Invoke(ctx, request(`{}`, 10*time.Second)); err == nil {
		t.Errorf("Invoke after Close answered %+v, want an error", resp)
	}
	if h.Stopped != nil && !h.Stopped(t, inst) {
		t.Error("the instance still runs after Close")
	}
}

func testLargePayload(t *testing.T, h Harness) {
	inst := start(t, h, Echo)
	// A JSON string of exactly fn.MaxSyncPayload bytes, quotes included:
	// every language encodes it back byte for byte.
	event := `"` + strings.Repeat("x", fn.MaxSyncPayload-2) + `"`
	resp := invoke(t, inst, event, 30*time.Second)
	wantSuccess(t, resp)
	if !bytes.Equal(resp.Payload, []byte(event)) {
		t.Errorf("6 MB echo: got %d bytes, want %d identical ones", len(resp.Payload), len(event))
	}
}

// start starts an instance of fixture f on a new runtime, closed at the end
// of the test.
func start(t *testing.T, h Harness, f Fixture) runtime.Instance {
	t.Helper()
	rt := h.NewRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	inst, err := rt.NewInstance(ctx, h.Spec(t, f))
	if err != nil {
		t.Fatalf("NewInstance(%s): %v", f, err)
	}
	t.Cleanup(func() {
		if err := inst.Close(context.Background()); err != nil {
			t.Errorf("Close(%s): %v", f, err)
		}
	})
	return inst
}

// invoke runs event on inst with a Deadline timeout from now; a platform
// error fails the test.
func invoke(t *testing.T, inst runtime.Instance, event string, timeout time.Duration) *runtime.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := inst.Invoke(ctx, request(event, timeout))
	if err != nil {
		t.Fatalf("Invoke %.60s: %v", event, err)
	}
	return resp
}

// request is an invocation of event with a fresh request id.
func request(event string, timeout time.Duration) *runtime.Request {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	return &runtime.Request{ID: id, Payload: []byte(event), Deadline: time.Now().Add(timeout)}
}

func wantSuccess(t *testing.T, resp *runtime.Response) {
	t.Helper()
	if resp.FunctionError != "" || resp.Outcome != fn.OutcomeSuccess || resp.Broken {
		t.Fatalf("response %+v, payload %.200s; want a success on a live instance", resp, resp.Payload)
	}
}

// errorBody decodes Lambda's error JSON.
func errorBody(t *testing.T, payload []byte) (body struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}) {
	t.Helper()
	if err := json.Unmarshal(payload, &body); err != nil {
		t.Errorf("error payload %s is not Lambda's error JSON: %v", payload, err)
	}
	return body
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
