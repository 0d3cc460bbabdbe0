package process

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// Tests of the embedded runtime clients (bootstrap.py, bootstrap.js) and
// the examples, through real interpreters and the real Runtime API server.

// pyApp and nodeApp hold one handler per behaviour under test; a spec picks
// one with its handler string.
const pyApp = `import os, sys
print("init: app loaded")

def context_fields(event, context):
    cc = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "client_custom": cc.custom if cc else None,
        "client_app_title": cc.client.app_title if cc and cc.client else None,
        "identity_id": context.identity.cognito_identity_id,
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "cwd": os.getcwd(),
    }

def fail(event, context):
    print("failing now")
    raise ValueError("bad input: 42")

def pid(event, context):
    return os.getpid()

def lines(event, context):
    for i in range(event["n"]):
        print("%s line %d" % (event["tag"], i), file=sys.stderr if i % 2 else sys.stdout)
    return "ok"
`

const nodeApp = `console.log("init: index loaded");
exports.context = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remainingMs: context.getRemainingTimeInMillis(),
  clientContext: context.clientContext,
  identity: context.identity,
  traceId: process.env._X_AMZN_TRACE_ID || null,
  taskRoot: process.env.LAMBDA_TASK_ROOT,
  cwd: process.cwd(),
});
exports.thrown = async () => { console.log("throwing now"); throw new TypeError("bad thing"); };
exports.rejected = () => Promise.reject(new Error("rejected"));
exports.callbackOK = (event, context, callback) => { setTimeout(() => callback(null, { via: "callback" }), 5); };
exports.callbackErr = (event, context, callback) => { callback(new Error("callback failed")); };
exports.succeed = (event, context) => { context.succeed("succeeded"); };
exports.floating = async () => {
  Promise.reject(new Error("floating"));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return "never";
};
exports.pid = async () => process.pid;
exports.lines = async (event) => {
  for (let i = 0; i < event.n; i++) (i % 2 ? console.error : console.log)(event.tag + " line " + i);
  return "ok";
};
`

// needInterpreter skips the test when name is not installed.
func needInterpreter(t testing.TB, name string) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/" + name); err == nil {
		return
	}
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
}

// langDir writes files into a new code dir; a key "@example" copies that
// example's files first.
func langDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if ex, ok := files["@example"]; ok {
		src := filepath.Join("..", "..", "..", "examples", ex)
		ents, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			info, _ := e.Info()
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, info.Mode().Perm()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		if name == "@example" {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func langSpec(dir, rt, handler string) runtime.Spec {
	name := "fn-" + strings.TrimSuffix(rt, "3")
	return runtime.Spec{
		Tenant: "t1", Function: name, Version: fn.LatestVersion, ARN: fn.ARN("t1", name, ""),
		Runtime: rt, Handler: handler, CodeDir: dir, MemoryMB: 256, Timeout: 3 * time.Second,
	}
}

// langStart starts an instance of rt (python3 or node) with handler over
// files, skipping the test when the interpreter is missing.
func langStart(t testing.TB, r *Runtime, rt, handler string, files map[string]string) *instance {
	t.Helper()
	needInterpreter(t, map[string]string{fn.RuntimePython: "python3", fn.RuntimeNode: "node"}[rt])
	return start(t, r, langSpec(langDir(t, files), rt, handler))
}

func TestLangHelloExamples(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct {
		example, rt, handler, want string
	}{
		{"hello-python", fn.RuntimePython, "app.handler", `{"message": "Hello, %s!"}`},
		{"hello-node", fn.RuntimeNode, "index.handler", `{"message":"Hello, %s!"}`},
	} {
		t.Run(tc.example, func(t *testing.T) {
			inst := langStart(t, r, tc.rt, tc.handler, map[string]string{"@example": tc.example})
			if logs := inst.InitLogs(); len(logs) != 0 {
				t.Errorf("init logs %q", logs)
			}
			pid := inst.pid
			for _, name := range []string{"Ada", "", "Zoë"} {
				payload := `{}`
				if name != "" {
					payload = `{"name":"` + name + `"}`
				} else {
					name = "world"
				}
				req, resp := invoke(t, inst, payload)
				if want := fmt.Sprintf(tc.want, name); string(resp.Payload) != want || resp.FunctionError != "" || resp.Outcome != fn.OutcomeSuccess || resp.Broken {
					t.Fatalf("got %s %+v, want %s", resp.Payload, resp, want)
				}
				if want := "greeting " + name + " (request " + req.ID + ")\n"; string(resp.Logs) != want {
					t.Errorf("logs %q, want %q", resp.Logs, want)
				}
			}
			if inst.pid != pid || procState(pid) == "" || procState(pid) == "Z" {
				t.Errorf("the warm instance's process %d is gone", pid)
			}
		})
	}
}

func TestLangPerlExample(t *testing.T) {
	needInterpreter(t, "perl")
	if err := exec.Command("perl", "-MHTTP::Tiny", "-MJSON::PP", "-e1").Run(); err != nil {
		t.Skipf("perl lacks HTTP::Tiny or JSON::PP: %v", err)
	}
	r := newRuntime(t)
	dir := langDir(t, map[string]string{"@example": "hello-perl"})
	inst := start(t, r, langSpec(dir, fn.RuntimeProvided, ""))
	fastest := time.Hour
	for _, name := range []string{"Camel", "Zoë", "Larry", "Ada", "Grace"} {
		_, resp := invoke(t, inst, `{"name":"`+name+`"}`)
		if want := `{"message":"Hello, ` + name + `!"}`; string(resp.Payload) != want || resp.FunctionError != "" {
			t.Fatalf("got %s %+v, want %s", resp.Payload, resp, want)
		}
		if want := "greeting " + name + "\n"; string(resp.Logs) != want {
			t.Errorf("logs %q, want %q", resp.Logs, want)
		}
		fastest = min(fastest, resp.Duration)
	}
	// HTTP::Tiny writes a request's head and body separately: unless the
	// bootstrap sets TCP_NODELAY, every result waits ~40 ms for a delayed ACK.
	if fastest > 30*time.Millisecond {
		t.Errorf("the fastest warm call took %v", fastest)
	}
}

// TestLangContext: the context object carries the request and the
// function's configuration, as Lambda's runtimes fill it.
func TestLangContext(t *testing.T) {
	r := newRuntime(t)
	clientContext := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"client":{"app_title":"app"},"env":{"locale":"en"}}`))
	for _, tc := range []struct {
		rt, handler string
		files       map[string]string
		keys        map[string]string // our name → the runtime's field name
	}{
		{fn.RuntimePython, "app.context_fields", map[string]string{"app.py": pyApp}, map[string]string{
			"id": "aws_request_id", "name": "function_name", "version": "function_version", "arn": "invoked_function_arn",
			"memory": "memory_limit_in_mb", "group": "log_group_name", "stream": "log_stream_name", "remaining": "remaining_ms",
			"trace": "trace_id", "root": "task_root", "cwd": "cwd",
		}},
		{fn.RuntimeNode, "index.context", map[string]string{"index.js": nodeApp}, map[string]string{
			"id": "awsRequestId", "name": "functionName", "version": "functionVersion", "arn": "invokedFunctionArn",
			"memory": "memoryLimitInMB", "group": "logGroupName", "stream": "logStreamName", "remaining": "remainingMs",
			"trace": "traceId", "root": "taskRoot", "cwd": "cwd",
		}},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			inst := langStart(t, r, tc.rt, tc.handler, tc.files)
			spec := inst.spec
			req := newRequest(`{}`, 2*time.Second)
			req.TraceID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
			req.ClientContext = clientContext
			resp, err := inst.Invoke(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got := decode[map[string]any](t, resp.Payload)
			field := func(k string) any { return got[tc.keys[k]] }
			for k, want := range map[string]string{
				"id": req.ID, "name": spec.Function, "version": fn.LatestVersion, "arn": spec.ARN,
				"memory": "256", // a string, as on Lambda
				"group":  "/aws/lambda/" + spec.Function, "trace": req.TraceID, "root": spec.CodeDir, "cwd": spec.CodeDir,
			} {
				if field(k) != want {
					t.Errorf("%s = %v, want %q", tc.keys[k], field(k), want)
				}
			}
			if s, _ := field("stream").(string); !strings.Contains(s, "[$LATEST]") {
				t.Errorf("log stream %q", s)
			}
			if ms, _ := field("remaining").(float64); ms <= 1000 || ms > 2000 {
				t.Errorf("remaining time %v ms of a 2 s deadline", ms)
			}
			switch tc.rt {
			case fn.RuntimePython:
				if got["client_app_title"] != "app" || fmt.Sprint(got["client_custom"]) != "map[k:v]" || got["identity_id"] != nil {
					t.Errorf("client context / identity: %v", got)
				}
			case fn.RuntimeNode:
				if fmt.Sprint(got["clientContext"]) != "map[client:map[app_title:app] custom:map[k:v] env:map[locale:en]]" {
					t.Errorf("clientContext %v", got["clientContext"])
				}
				if _, ok := got["identity"]; ok {
					t.Errorf("identity %v, want undefined", got["identity"])
				}
			}
			// The next call has no trace id: the variable is gone again.
			_, resp = invoke(t, inst, `{}`)
			if got := decode[map[string]any](t, resp.Payload); got[tc.keys["trace"]] != nil {
				t.Errorf("trace id %v leaked into the next call", got[tc.keys["trace"]])
			}
		})
	}
}

func TestLangPythonError(t *testing.T) {
	r := newRuntime(t)
	inst := langStart(t, r, fn.RuntimePython, "app.fail", map[string]string{"app.py": pyApp})
	for range 2 { // the instance survives a handled error
		req, resp := invoke(t, inst, `{}`)
		if resp.FunctionError != "Unhandled" || resp.ErrorType != "ValueError" || resp.Outcome != fn.OutcomeError || resp.Broken {
			t.Fatalf("response %+v", resp)
		}
		e := decode[struct {
			ErrorMessage, ErrorType, RequestID string
			StackTrace                         []string
		}](t, resp.Payload)
		if e.ErrorType != "ValueError" || e.ErrorMessage != "bad input: 42" || e.RequestID != req.ID {
			t.Errorf("error %s", resp.Payload)
		}
		line := 1 + strings.Count(pyApp[:strings.Index(pyApp, "raise ValueError")], "\n")
		if len(e.StackTrace) != 1 || !strings.Contains(e.StackTrace[0], `app.py", line `+strconv.Itoa(line)+`, in fail`) ||
			!strings.Contains(e.StackTrace[0], `raise ValueError("bad input: 42")`) {
			t.Errorf("stack trace %q: want only the function's frame", e.StackTrace)
		}
		logs := string(resp.Logs)
		if !strings.HasPrefix(logs, "failing now\n[ERROR] ValueError: bad input: 42\nTraceback (most recent call last):\n") {
			t.Errorf("logs %q", logs)
		}
	}
}

func TestLangNodeOutcomes(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct {
		handler, payload, errorType, errorMessage string
	}{
		{handler: "index.thrown", errorType: "TypeError", errorMessage: "bad thing"},
		{handler: "index.rejected", errorType: "Error", errorMessage: "rejected"},
		{handler: "index.callbackOK", payload: `{"via":"callback"}`},
		{handler: "index.callbackErr", errorType: "Error", errorMessage: "callback failed"},
		{handler: "index.succeed", payload: `"succeeded"`},
	} {
		t.Run(tc.handler, func(t *testing.T) {
			inst := langStart(t, r, fn.RuntimeNode, tc.handler, map[string]string{"index.js": nodeApp})
			for range 2 { // and the instance stays usable
				_, resp := invoke(t, inst, `{}`)
				if resp.Broken {
					t.Fatalf("broken after %s", resp.Payload)
				}
				if tc.errorType == "" {
					if string(resp.Payload) != tc.payload || resp.FunctionError != "" {
						t.Fatalf("got %s %+v, want %s", resp.Payload, resp, tc.payload)
					}
					continue
				}
				e := decode[struct {
					ErrorType, ErrorMessage string
					Trace                   []string
				}](t, resp.Payload)
				if resp.FunctionError != "Unhandled" || resp.ErrorType != tc.errorType || e.ErrorType != tc.errorType ||
					e.ErrorMessage != tc.errorMessage || len(e.Trace) < 2 || e.Trace[0] != tc.errorType+": "+tc.errorMessage {
					t.Fatalf("got %s %+v", resp.Payload, resp)
				}
				if !strings.Contains(e.Trace[1], "index.js") {
					t.Errorf("trace %q does not start in the function's code", e.Trace)
				}
				if !strings.Contains(string(resp.Logs), "Invoke Error") {
					t.Errorf("logs %q", resp.Logs)
				}
			}
		})
	}
}

// TestLangNodeUnhandledRejection: a rejection nobody handles fails the
// call in flight, and the runtime exits, as on Lambda.
func TestLangNodeUnhandledRejection(t *testing.T) {
	r := newRuntime(t)
	inst := langStart(t, r, fn.RuntimeNode, "index.floating", map[string]string{"index.js": nodeApp})
	_, resp := invoke(t, inst, `{}`)
	e := decode[struct{ ErrorType, ErrorMessage string }](t, resp.Payload)
	if resp.ErrorType != "Runtime.UnhandledPromiseRejection" || e.ErrorMessage != "Error: floating" || !resp.Broken {
		t.Fatalf("got %s %+v", resp.Payload, resp)
	}
	if resp.Duration > time.Second {
		t.Errorf("took %v: the call waited for the handler instead of failing at once", resp.Duration)
	}
	waitGone(t, inst.pid, true)
}

// TestLangInitErrors: a function that cannot load reports Lambda's error
// type and message as an *runtime.InitError.
func TestLangInitErrors(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct {
		name, rt, handler string
		files             map[string]string
		errorType, msg    string
	}{
		{"python missing module", fn.RuntimePython, "app.handler", nil,
			"Runtime.ImportModuleError", "Unable to import module 'app': No module named 'app'"},
		{"python missing function", fn.RuntimePython, "app.nope", map[string]string{"app.py": pyApp},
			"Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'"},
		{"python syntax error", fn.RuntimePython, "app.handler", map[string]string{"app.py": "def handler(:\n    pass\n"},
			"Runtime.UserCodeSyntaxError", "Syntax error in module 'app': invalid syntax (app.py, line 1)"},
		{"python import raises", fn.RuntimePython, "app.handler", map[string]string{"app.py": "raise RuntimeError('no config')\n"},
			"RuntimeError", "no config"},
		{"node missing module", fn.RuntimeNode, "index.handler", nil,
			"Runtime.ImportModuleError", "Error: Cannot find module 'index'"},
		{"node missing function", fn.RuntimeNode, "index.nope", map[string]string{"index.js": nodeApp},
			"Runtime.HandlerNotFound", "index.nope is undefined or not exported"},
		{"node syntax error", fn.RuntimeNode, "index.handler", map[string]string{"index.js": "exports.handler = async (e => 1;\n"},
			"Runtime.UserCodeSyntaxError", "SyntaxError: missing ) after argument list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needInterpreter(t, map[string]string{fn.RuntimePython: "python3", fn.RuntimeNode: "node"}[tc.rt])
			_, err := r.NewInstance(context.Background(), langSpec(langDir(t, tc.files), tc.rt, tc.handler))
			ie := asInitError(t, err)
			e := decode[struct{ ErrorType, ErrorMessage string }](t, ie.Payload)
			if ie.ErrorType != tc.errorType || e.ErrorType != tc.errorType || e.ErrorMessage != tc.msg {
				t.Errorf("got %s %s, want %s %q", ie.ErrorType, ie.Payload, tc.errorType, tc.msg)
			}
			if !strings.Contains(string(ie.Logs), tc.errorType) {
				t.Errorf("init logs %q do not show the error", ie.Logs)
			}
		})
	}
}

// TestLangLogAttribution: what a handler prints, to stdout and stderr,
// belongs to its own call, every time.
func TestLangLogAttribution(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct{ rt, handler, init string }{
		{fn.RuntimePython, "app.lines", "init: app loaded\n"},
		{fn.RuntimeNode, "index.lines", "init: index loaded\n"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			inst := langStart(t, r, tc.rt, tc.handler, map[string]string{"app.py": pyApp, "index.js": nodeApp})
			if logs := string(inst.InitLogs()); logs != tc.init {
				t.Errorf("init logs %q, want %q", logs, tc.init)
			}
			for call := range 20 {
				tag := "call" + strconv.Itoa(call)
				_, resp := invoke(t, inst, `{"n":50,"tag":"`+tag+`"}`)
				var want strings.Builder
				for i := range 50 {
					fmt.Fprintf(&want, "%s line %d\n", tag, i)
				}
				if string(resp.Logs) != want.String() {
					t.Fatalf("call %d logs:\n%s\nwant:\n%s", call, resp.Logs, want.String())
				}
			}
		})
	}
}

func TestLangWarmReuse(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct{ rt, handler string }{
		{fn.RuntimePython, "app.pid"},
		{fn.RuntimeNode, "index.pid"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			inst := langStart(t, r, tc.rt, tc.handler, map[string]string{"app.py": pyApp, "index.js": nodeApp})
			var warm []time.Duration
			for range 20 {
				_, resp := invoke(t, inst, `{}`)
				if pid, _ := strconv.Atoi(string(resp.Payload)); pid != inst.pid {
					t.Fatalf("pid %s, want the same process %d", resp.Payload, inst.pid)
				}
				warm = append(warm, resp.Duration)
			}
			slices.Sort(warm)
			t.Logf("%s warm call p50 %v", tc.rt, warm[len(warm)/2])
		})
	}
}

// TestLangColdStart measures NewInstance until ready (the first GET /next)
// for the hello examples: p50 of 10. The bound is loose; the log line has
// the figure.
func TestLangColdStart(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct{ example, rt, handler string }{
		{"hello-python", fn.RuntimePython, "app.handler"},
		{"hello-node", fn.RuntimeNode, "index.handler"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			needInterpreter(t, map[string]string{fn.RuntimePython: "python3", fn.RuntimeNode: "node"}[tc.rt])
			spec := langSpec(langDir(t, map[string]string{"@example": tc.example}), tc.rt, tc.handler)
			var wall, initDur []time.Duration
			for range 10 {
				t0 := time.Now()
				inst, err := r.NewInstance(context.Background(), spec)
				if err != nil {
					t.Fatal(err)
				}
				wall = append(wall, time.Since(t0))
				initDur = append(initDur, inst.InitDuration())
				if err := inst.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(wall)
			slices.Sort(initDur)
			t.Logf("%s cold start p50: NewInstance %v, InitDuration %v (min %v, max %v)",
				tc.rt, wall[len(wall)/2], initDur[len(initDur)/2], wall[0], wall[len(wall)-1])
			if wall[len(wall)/2] > time.Second {
				t.Errorf("cold start p50 %v", wall[len(wall)/2])
			}
		})
	}
}

// TestLangLargeResponses: a result up to the 6 MB limit arrives whole; one
// over it is refused, and the runtime carries on with the next event.
func TestLangLargeResponses(t *testing.T) {
	r := newRuntime(t)
	files := map[string]string{
		"app.py":   "def big(event, context):\n    return 'x' * event['n']\n",
		"index.js": "exports.big = async (event) => 'x'.repeat(event.n);\n",
	}
	for _, tc := range []struct{ rt, handler string }{
		{fn.RuntimePython, "app.big"},
		{fn.RuntimeNode, "index.big"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			inst := langStart(t, r, tc.rt, tc.handler, files)
			n := fn.MaxSyncPayload - 2 // the quotes make it exactly 6 MB
			_, resp := invoke(t, inst, `{"n":`+strconv.Itoa(n)+`}`)
			if len(resp.Payload) != n+2 || resp.FunctionError != "" {
				t.Fatalf("%d bytes, %+v", len(resp.Payload), resp.ErrorType)
			}
			_, resp = invoke(t, inst, `{"n":`+strconv.Itoa(n+1)+`}`)
			if resp.ErrorType != "Function.ResponseSizeTooLarge" || resp.FunctionError != "Unhandled" {
				t.Fatalf("response %s %+v", resp.Payload, resp.ErrorType)
			}
			_, resp = invoke(t, inst, `{"n":3}`)
			if string(resp.Payload) != `"xxx"` || len(resp.Logs) != 0 {
				t.Fatalf("after a refused result: %s %s, logs %q", resp.Payload, resp.ErrorType, resp.Logs)
			}
		})
	}
}
