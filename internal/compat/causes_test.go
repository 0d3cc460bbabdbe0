package compat

import (
	"context"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// faultsPy fails the way its event asks: past its timeout, by exiting, by
// a segmentation fault, by allocating past its memory. (A signal it sends
// itself would not do: it is pid 1 of its PID namespace, which the kernel
// shields from the signals of its own namespace, SIGKILL included.)
const faultsPy = `import ctypes, os, time

def handler(event, context):
    print("about to", event["do"])
    if event["do"] == "sleep":
        time.sleep(10)
    if event["do"] == "exit":
        os._exit(3)
    if event["do"] == "segv":
        ctypes.string_at(0)
    if event["do"] == "hog":
        b = bytearray(512 << 20)
        for i in range(0, len(b), 4096):
            b[i] = 1
    return "fine"
`

// TestCausesInLogTail checks that a timeout, an exit, a segmentation fault,
// an out-of-memory kill and a failed init write Lambda's cause lines to the
// function's log, after its own output and before END and REPORT, and that
// REPORT carries the status; a call that ran to its end has neither.
func TestCausesInLogTail(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	create := func(name, code string) {
		t.Helper()
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
			Role: aws.String("r"), Timeout: aws.Int32(1), MemorySize: aws.Int32(128),
			Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": code})},
		})
		if err != nil {
			t.Fatalf("CreateFunction %s: %v", name, err)
		}
	}
	create("faults", faultsPy)
	create("badinit", "import os\nprint('init goes wrong')\nos._exit(2)\n")

	const id = `[0-9a-f-]{36}`
	tests := []struct {
		name, fn, event string
		errorType       string // in the reply's payload
		cause           []string
		status          string
		root            bool // needs the sandbox's memory limit
	}{
		{name: "ok", fn: "faults", event: `{"do":"nothing"}`},
		{name: "timeout", fn: "faults", event: `{"do":"sleep"}`, errorType: "Sandbox.Timedout",
			cause:  []string{`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + id + ` Task timed out after 1\.00 seconds$`},
			status: `\tStatus: timeout$`},
		{name: "exit", fn: "faults", event: `{"do":"exit"}`, errorType: "Runtime.ExitError",
			cause:  []string{`^RequestId: ` + id + ` Error: Runtime exited with error: exit status 3$`, `^Runtime\.ExitError$`},
			status: `\tStatus: error\tError Type: Runtime\.ExitError$`},
		{name: "segv", fn: "faults", event: `{"do":"segv"}`, errorType: "Runtime.ExitError",
			cause:  []string{`^RequestId: ` + id + ` Error: Runtime exited with error: signal: segmentation fault( \(core dumped\))?$`, `^Runtime\.ExitError$`},
			status: `\tStatus: error\tError Type: Runtime\.ExitError$`},
		{name: "oom", fn: "faults", event: `{"do":"hog"}`, errorType: "Runtime.OutOfMemory", root: true,
			cause: []string{`^RequestId: ` + id + ` Error: Runtime exited with error: signal: killed \(out of memory: the function's limit is 128 MB\)$`,
				`^Runtime\.OutOfMemory$`},
			status: `\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t.*Status: error\tError Type: Runtime\.OutOfMemory$`},
		{name: "init", fn: "badinit", event: `{}`, errorType: "Runtime.ExitError",
			cause:  []string{`^RequestId: ` + id + ` Error: Runtime exited with error: exit status 2$`, `^Runtime\.ExitError$`},
			status: `\tInit Duration: [\d.]+ ms\tStatus: error\tError Type: Runtime\.ExitError$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() != 0 {
				t.Skip("the memory limit needs the sandbox, which needs root")
			}
			inv, err := c.Invoke(ctx, &lambda.InvokeInput{
				FunctionName: aws.String(tt.fn), Payload: []byte(tt.event), LogType: types.LogTypeTail,
			})
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if tt.errorType != "" && !strings.Contains(string(inv.Payload), `"errorType":"`+tt.errorType+`"`) {
				t.Errorf("payload %s, want errorType %s", inv.Payload, tt.errorType)
			}
			tail, err := base64.StdEncoding.DecodeString(aws.ToString(inv.LogResult))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(tail), "\n"), "\n")
			checkCause(t, lines, tt.cause, tt.status)
			t.Logf("log tail:\n%s", tail)
		})
	}
}

// checkCause checks that lines (one invocation's log, START to REPORT)
// hold the cause lines right before END, then REPORT with the status; no
// cause and no status when cause is empty.
func checkCause(t *testing.T, lines, cause []string, status string) {
	t.Helper()
	n := len(lines)
	if n < 3+len(cause) || !strings.HasPrefix(lines[0], "START RequestId: ") ||
		!strings.HasPrefix(lines[n-2], "END RequestId: ") || !strings.HasPrefix(lines[n-1], "REPORT RequestId: ") {
		t.Fatalf("want START … END REPORT, got:\n%s", strings.Join(lines, "\n"))
	}
	for i, want := range cause {
		if got := lines[n-2-len(cause)+i]; !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("cause line %d is %q, want %s; log:\n%s", i, got, want, strings.Join(lines, "\n"))
		}
	}
	report := lines[n-1]
	if status == "" {
		if strings.Contains(report, "Status:") || strings.Contains(lines[n-3], "Error") {
			t.Errorf("a call that ran to its end got a cause:\n%s", strings.Join(lines, "\n"))
		}
		return
	}
	if !regexp.MustCompile(status).MatchString(report) {
		t.Errorf("REPORT %q, want %s", report, status)
	}
}
