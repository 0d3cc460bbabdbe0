package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// invokeAPI answers invocations of "echo" with the event, of "text" with a
// non-JSON body, and of "boom" with a function error.
func invokeAPI(t *testing.T) *api {
	srv := newAPI(t)
	srv.on("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		switch r.PathValue("name") {
		case "echo":
			w.Write(body)
		case "text":
			io.WriteString(w, "plain text\n")
		case "boom":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"boom","errorType":"ValueError","stackTrace":[]}`)
		case "busy":
			apiError(w, 429, fn.TypeTooManyRequests, "Rate Exceeded.")
		default:
			notFound(w, r)
		}
	})
	return srv
}

func TestInvokeData(t *testing.T) {
	srv := invokeAPI(t)
	file := filepath.Join(t.TempDir(), "event.json")
	os.WriteFile(file, []byte(`{"from":"file"}`), 0o644)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		sent  string
	}{
		{"default", nil, "", `{}`},
		{"literal", []string{"--data", `{"a":1}`}, "", `{"a":1}`},
		{"short flag", []string{"-d", `[1,2]`}, "", `[1,2]`},
		{"file", []string{"--data", "@" + file}, "", `{"from":"file"}`},
		{"stdin", []string{"--data", "-"}, "{\"from\":\"stdin\"}\n", "{\"from\":\"stdin\"}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, srv, opts{stdin: tc.stdin}, append([]string{"invoke", "echo"}, tc.args...)...)
			if sent := string(srv.last(t).Body); sent != tc.sent {
				t.Fatalf("sent %q, want %q", sent, tc.sent)
			}
			want := tc.sent
			if want[len(want)-1] != '\n' {
				want += "\n"
			}
			if r.code != 0 || r.stdout != want || r.stderr != "" {
				t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
	run(t, srv, opts{}, "invoke", "echo", "--data", "@"+file+".missing").want(t, 1, "", "reading the event")
}

func TestInvokeFunctionError(t *testing.T) {
	srv := invokeAPI(t)
	r := run(t, srv, opts{}, "invoke", "boom")
	if r.code != 1 || r.stdout != "" || r.stderr != `{"errorMessage":"boom","errorType":"ValueError","stackTrace":[]}`+"\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestInvokeAPIErrors(t *testing.T) {
	srv := invokeAPI(t)
	r := run(t, srv, opts{}, "invoke", "nope")
	r.want(t, 1, "", "updraft: ResourceNotFoundException: Function not found: arn:aws:lambda:local:759918739324:function:nope")
	run(t, srv, opts{}, "invoke", "busy").want(t, 1, "", "updraft: TooManyRequestsException: Rate Exceeded.\n")
}

func TestInvokeJSON(t *testing.T) {
	srv := invokeAPI(t)
	decode := func(r result) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("%v: %s", err, r.stdout)
		}
		for _, k := range []string{"status_code", "function_error", "request_id", "executed_version", "payload"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %s in %s", k, r.stdout)
			}
		}
		return m
	}

	r := run(t, srv, opts{}, "invoke", "echo", "-d", `{"a":[1]}`, "-o", "json")
	golden(t, "invoke-json", r.stdout)
	m := decode(r)
	if r.code != 0 || m["status_code"] != 200.0 || m["request_id"] != "req-1" || m["executed_version"] != "$LATEST" {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}

	r = run(t, srv, opts{}, "invoke", "text", "-o", "json")
	if m := decode(r); m["payload"] != "plain text\n" {
		t.Fatalf("a payload that is not JSON is a string: %s", r.stdout)
	}

	r = run(t, srv, opts{}, "invoke", "boom", "-o", "json")
	m = decode(r)
	if r.code != 1 || m["function_error"] != "Unhandled" || m["payload"].(map[string]any)["errorMessage"] != "boom" {
		t.Fatalf("exit %d: %s", r.code, r.stdout)
	}
}
