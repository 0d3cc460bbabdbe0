package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeJSONLogs: with --log-format json every line the server writes
// to stderr is one JSON object with slog's time, level and msg.
func TestServeJSONLogs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"UPDRAFT_DATA_DIR": dir, "UPDRAFT_API_KEY": ""}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := newWatch()
	done := make(chan result, 1)
	go func() {
		done <- run(t, nil, opts{env: env, ctx: ctx, teeErr: log}, "serve", "--listen", "127.0.0.1:0", "--log-format", "json")
	}()
	select {
	case r := <-done:
		t.Fatalf("serve ended early: exit %d\n%s", r.code, r.stderr)
	case <-log.match(regexp.MustCompile(`"msg":"updraft listening","url":"http://[^"]+"`)):
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) < 3 {
		t.Fatalf("only %d lines:\n%s", len(lines), r.stderr)
	}
	for _, l := range lines {
		var rec struct{ Time, Level, Msg string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Time == "" || rec.Level == "" || rec.Msg == "" {
			t.Errorf("not a JSON log record (%v): %s", err, l)
		}
	}
}
