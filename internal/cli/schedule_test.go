package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestScheduleCommands drives `updraft schedule` against a real server.
func TestScheduleCommands(t *testing.T) {
	d, _, key := startServer(t)
	env := opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_API_KEY": key}}
	must := func(args ...string) string {
		t.Helper()
		r := run(t, nil, env, args...)
		if r.code != 0 {
			t.Fatalf("updraft %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r.stdout
	}
	dir := filepath.Join(t.TempDir(), "report")
	writeFiles(t, dir, map[string]string{"app.py": "def handler(e, c): return e\n"})
	must("deploy", dir, "--runtime", "python3.11", "--handler", "app.handler")

	out := must("schedule", "add", "nightly", "--expression", "cron(0 2 * * ? *)", "--function", "report",
		"--timezone", "Europe/Berlin", "--input", `{"kind":"nightly"}`, "--catch-up", "none", "--flexible-window", "5",
		"--start", "2026-01-01T00:00:00Z")
	for _, want := range []string{"name:", "nightly", "cron(0 2 * * ? *)", "Europe/Berlin", `{"kind":"nightly"}`, "ENABLED", "none", "5 min", "next tick:"} {
		if !strings.Contains(out, want) {
			t.Errorf("add printed %q, want %q in it", out, want)
		}
	}
	var s struct {
		Name, ARN, State, Function, Qualifier string
		NextTick                              *string `json:"next_tick"`
	}
	must("schedule", "add", "live", "--expression", "rate(1 hour)", "--function", "report:$LATEST", "--disabled")
	if err := json.Unmarshal([]byte(must("schedule", "get", "live", "-o", "json")), &s); err != nil || s.State != "DISABLED" ||
		s.Function != "report" || s.Qualifier != "$LATEST" || s.NextTick != nil ||
		s.ARN != "arn:aws:scheduler:local:"+fn.AccountID("default")+":schedule/default/live" {
		t.Fatalf("get -o json: %+v %v", s, err)
	}
	if out := must("schedule", "resume", "live"); out != "schedule live is ENABLED\n" {
		t.Errorf("resume printed %q", out)
	}
	if err := json.Unmarshal([]byte(must("schedule", "pause", "live", "--output", "json")), &s); err != nil || s.State != "DISABLED" {
		t.Errorf("pause -o json: %+v %v", s, err)
	}
	ls := must("schedule", "ls")
	if !strings.Contains(ls, "NAME") || !strings.Contains(ls, "nightly") || !strings.Contains(ls, "report:$LATEST") || !strings.Contains(ls, "DISABLED") {
		t.Errorf("ls printed %q", ls)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(must("schedule", "ls", "--output", "json")), &rows); err != nil || len(rows) != 2 {
		t.Errorf("ls -o json: %v %v", rows, err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"schedule", "add", "x", "--expression", "rate(1 minutes)", "--function", "report"}, 1, "rate(1 minute)"},
		{[]string{"schedule", "add", "x", "--expression", "cron(0 25 * * ? *)", "--function", "report"}, 1, "field 2 (hours): 25 is out of range 0-23"},
		{[]string{"schedule", "add", "x", "--expression", "rate(1 hour)"}, 2, "--expression and --function"},
		{[]string{"schedule", "add", "x", "--expression", "rate(1 hour)", "--function", "report", "--input", "{"}, 2, "--input is not valid JSON"},
		{[]string{"schedule", "add", "x", "--expression", "rate(1 hour)", "--function", "report", "--start", "tomorrow"}, 2, "RFC 3339"},
		{[]string{"schedule", "add", "nightly", "--expression", "rate(1 hour)", "--function", "report"}, 1, "already exists"},
		{[]string{"schedule", "get", "nope"}, 1, "Schedule nope does not exist"},
	} {
		r := run(t, nil, env, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("updraft %s: exit %d, %q; want exit %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.want)
		}
	}
	if out := must("schedule", "rm", "nightly"); out != "deleted schedule nightly\n" {
		t.Errorf("rm printed %q", out)
	}
	if out := must("schedule", "rm", "live", "-o", "json"); !strings.Contains(out, `"deleted"`) {
		t.Errorf("rm -o json printed %q", out)
	}
	if out := must("schedule", "ls", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("ls after rm: %q", out)
	}
}
