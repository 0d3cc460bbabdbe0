package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestLogsSearch runs the search flags against a real daemon: the server
// filters by text, request id, time and count.
func TestLogsSearch(t *testing.T) {
	d, _, key := startServer(t)
	env := map[string]string{"UPDRAFT_API_KEY": key, "UPDRAFT_ENDPOINT": "http://" + d.Addr()}
	dir := filepath.Join(t.TempDir(), "echo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "def handler(event, context):\n    print('say ' + event['word'])\n    return event['word']\n"
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, nil, opts{env: env}, "deploy", dir, "--runtime", "python3", "--handler", "app.handler").want(t, 0, "", "")
	var ids []string
	for _, w := range []string{"apple", "banana", "cherry"} {
		r := run(t, nil, opts{env: env}, "invoke", "echo", "--data", `{"word":"`+w+`"}`, "-o", "json")
		r.want(t, 0, w, "")
		var out struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.RequestID == "" {
			t.Fatalf("invoke output %q: %v", r.stdout, err)
		}
		ids = append(ids, out.RequestID)
	}
	lines := func(args ...string) []string {
		t.Helper()
		r := run(t, nil, opts{env: env}, append([]string{"logs", "echo"}, args...)...)
		if r.code != 0 {
			t.Fatalf("logs %v: exit %d %s", args, r.code, r.stderr)
		}
		return strings.Split(strings.TrimSpace(r.stdout), "\n")
	}

	if got := lines("--filter", "say b"); len(got) != 1 || got[0] != "say banana" {
		t.Errorf("--filter 'say b': %q", got)
	}
	byID := lines("--request-id", ids[2])
	if len(byID) != 4 || !strings.HasPrefix(byID[0], "START RequestId: "+ids[2]) || byID[1] != "say cherry" ||
		!strings.HasPrefix(byID[3], "REPORT RequestId: "+ids[2]) {
		t.Errorf("--request-id: %q", byID)
	}
	if got := lines("--tail", "2"); len(got) != 2 || !strings.HasPrefix(got[0], "END RequestId: "+ids[2]) || !strings.HasPrefix(got[1], "REPORT RequestId: "+ids[2]) {
		t.Errorf("--tail 2: %q", got)
	}
	if got := lines("--tail", "2", "--filter", "say"); len(got) != 2 || got[0] != "say banana" || got[1] != "say cherry" {
		t.Errorf("--tail 2 --filter say: %q", got)
	}
	if got := lines("--since", "2h", "--until", "1h"); len(got) != 1 || got[0] != "" {
		t.Errorf("--until 1h ago: %q", got)
	}
	if got := lines("--since", "1h", "--filter", "say"); len(got) != 3 {
		t.Errorf("--since 1h --filter say: %q", got)
	}
	r := run(t, nil, opts{env: env}, "logs", "echo", "--request-id", ids[0], "-o", "json")
	var e fn.LogEntry
	if err := json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &e); err != nil || e.RequestID != ids[0] {
		t.Errorf("-o json: %v %q", err, r.stdout)
	}
	run(t, nil, opts{env: env}, "logs", "echo", "--follow", "--until", "1m").want(t, 2, "", "--follow and --until")
	run(t, nil, opts{env: env}, "logs", "echo", "--until", "yesterday").want(t, 2, "", `--until "yesterday"`)
}
