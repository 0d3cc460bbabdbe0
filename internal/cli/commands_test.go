package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestLs(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/functions", 200, map[string]any{"functions": []*fn.Function{helloFn(), workerFn()}})
	r := run(t, srv, opts{}, "ls")
	r.want(t, 0, "NAME", "")
	golden(t, "ls", r.stdout)

	r = run(t, srv, opts{}, "ls", "--output", "json")
	var fs []*fn.Function
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil || len(fs) != 2 || fs[0].Name != "hello" || fs[0].CodeSHA256 == "" {
		t.Fatalf("%v: %s", err, r.stdout)
	}
}

func TestLsEmpty(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/functions", 200, map[string]any{"functions": []any{}})
	run(t, srv, opts{}, "ls").want(t, 0, "no functions yet", "")
	r := run(t, srv, opts{}, "ls", "-o", "json")
	if r.code != 0 || r.stdout != "[]\n" {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
}

func TestGet(t *testing.T) {
	srv := newAPI(t)
	srv.on("GET /v1/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("name") {
		case "hello":
			writeJSON(w, 200, helloFn())
		case "worker-with-long-name":
			writeJSON(w, 200, workerFn())
		default:
			notFound(w, r)
		}
	})
	r := run(t, srv, opts{}, "get", "hello")
	r.want(t, 0, "name:", "")
	golden(t, "get", r.stdout)
	r = run(t, srv, opts{}, "get", "worker-with-long-name")
	r.want(t, 0, "handler:     -\n", "")

	r = run(t, srv, opts{}, "get", "hello", "-o", "json")
	var f fn.Function
	if err := json.Unmarshal([]byte(r.stdout), &f); err != nil || !reflect.DeepEqual(&f, helloFn()) {
		t.Fatalf("%v: %s", err, r.stdout)
	}

	r = run(t, srv, opts{}, "get", "nope")
	r.want(t, 1, "", "updraft: ResourceNotFoundException: Function not found: arn:aws:lambda:local:759918739324:function:nope")
}

func TestRm(t *testing.T) {
	srv := newAPI(t)
	srv.on("DELETE /v1/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "hello" {
			notFound(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	r := run(t, srv, opts{}, "rm", "hello")
	if r.code != 0 || r.stdout != "deleted hello\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if req := srv.last(t); req.Method != "DELETE" || req.Path != "/v1/functions/hello" {
		t.Fatalf("sent %s %s", req.Method, req.Path)
	}
	run(t, srv, opts{}, "rm", "hello", "-o", "json").want(t, 0, `"deleted": "hello"`, "")
	run(t, srv, opts{}, "rm", "nope").want(t, 1, "", "updraft: ResourceNotFoundException")
}

var usageRows = []fn.UsageSummary{
	{Function: "hello", Invocations: 120, Errors: 3, BilledMs: 4567, GBs: 1.1418, ColdStarts: 2, DurationMs: 4400.25},
	{Function: "worker-with-long-name", Invocations: 1, BilledMs: 1, GBs: 0.000125, ColdStarts: 1, DurationMs: 0.4},
}

func TestUsage(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/usage", 200, usageRows)
	r := run(t, srv, opts{}, "usage")
	r.want(t, 0, "FUNCTION", "")
	golden(t, "usage", r.stdout)
	if q := srv.last(t).Query; len(q) != 0 {
		t.Fatalf("sent query %v without flags", q)
	}

	run(t, srv, opts{}, "usage", "hello", "--since", "24h").want(t, 0, "hello", "")
	if q := srv.last(t).Query; q.Get("function") != "hello" || q.Get("since") != "24h" {
		t.Fatalf("query %v", q)
	}

	r = run(t, srv, opts{}, "usage", "-o", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	for _, k := range []string{"function", "invocations", "errors", "billed_ms", "gb_s", "cold_starts"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("no %s in %v", k, rows[0])
		}
	}
	if rows[0]["function"] != "hello" || rows[0]["invocations"] != 120.0 || rows[1]["gb_s"] != 0.000125 {
		t.Fatalf("rows %v", rows)
	}
}

func TestUsageEmpty(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/usage", 200, []any{})
	run(t, srv, opts{}, "usage").want(t, 0, "no invocations recorded", "")
	r := run(t, srv, opts{}, "usage", "-o", "json")
	if r.stdout != "[]\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
}

func logsAPI(t *testing.T, live chan fn.LogEntry) *api {
	srv := newAPI(t)
	srv.on("GET /v1/functions/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "hello" {
			notFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		enc.Encode(fn.LogEntry{Time: t0, Function: "hello", RequestID: "r1", Message: "START RequestId: r1 Version: $LATEST"})
		enc.Encode(fn.LogEntry{Time: t0, Function: "hello", RequestID: "r1", Message: "hello from python\n"})
		if r.URL.Query().Get("follow") != "1" {
			return
		}
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case e := <-live:
				enc.Encode(e)
				w.(http.Flusher).Flush()
			}
		}
	})
	return srv
}

func TestLogs(t *testing.T) {
	srv := logsAPI(t, nil)
	r := run(t, srv, opts{}, "logs", "hello")
	if r.code != 0 || r.stdout != "START RequestId: r1 Version: $LATEST\nhello from python\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if q := srv.last(t).Query; q.Get("since") != "10m" || q.Has("follow") {
		t.Fatalf("query %v", q)
	}

	r = run(t, srv, opts{}, "logs", "hello", "--since", "2025-01-02T00:00:00Z", "-o", "json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var e fn.LogEntry
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &e) != nil || e.RequestID != "r1" || !e.Time.Equal(t0) {
		t.Fatalf("stdout %q", r.stdout)
	}
	if q := srv.last(t).Query; q.Get("since") != "2025-01-02T00:00:00Z" {
		t.Fatalf("query %v", q)
	}

	run(t, srv, opts{}, "logs", "nope").want(t, 1, "", "updraft: ResourceNotFoundException")
}

// TestLogsFollow: --follow prints lines as they come and ends cleanly when
// interrupted (ctx cancelled, as main does on Ctrl-C).
func TestLogsFollow(t *testing.T) {
	live := make(chan fn.LogEntry)
	srv := logsAPI(t, live)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	printed := make(chan string, 10)
	done := make(chan result)
	go func() { done <- run(t, srv, opts{ctx: ctx, tee: lineWriter(printed)}, "logs", "hello", "-f") }()
	for _, want := range []string{"START RequestId: r1 Version: $LATEST\n", "hello from python\n"} {
		if got := <-printed; got != want {
			t.Fatalf("printed %q, want %q", got, want)
		}
	}
	live <- fn.LogEntry{Function: "hello", Message: "later"}
	if got := <-printed; got != "later\n" {
		t.Fatalf("printed %q", got)
	}
	cancel()
	r := <-done
	if r.code != 0 || r.stdout != "START RequestId: r1 Version: $LATEST\nhello from python\nlater\n" || r.stderr != "" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if q := srv.last(t).Query; q.Get("follow") != "1" {
		t.Fatalf("query %v", q)
	}
}

// lineWriter sends each write (the CLI writes a line at a time) to ch.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

func TestVersion(t *testing.T) {
	r := run(t, nil, opts{}, "version")
	r.want(t, 0, "updraft ", "")
	var v map[string]string
	r = run(t, nil, opts{}, "version", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["version"] == "" || !strings.HasPrefix(v["go"], "go") {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("version fields %v", keys)
}
