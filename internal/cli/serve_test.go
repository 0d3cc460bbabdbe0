package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--listen", "no-port"}, `listen address "no-port" is not host:port`},
		{[]string{"--keep-alive", "0s"}, "keep-alive 0s must be positive"},
		{[]string{"--max-instances", "-1"}, "max instances -1 must not be negative"},
		{[]string{"--function-memory-mb", "-5"}, "function memory -5 MB must not be negative"},
		{[]string{"--log-format", "xml"}, `log format "xml": use text or json`},
		{[]string{"--otlp-endpoint", "localhost:4318"}, "not an http(s) URL"},
		{[]string{"--metrics-max-series", "-1"}, "metrics max series -1 must not be negative"},
	} {
		r := run(t, nil, opts{env: map[string]string{"UPDRAFT_DATA_DIR": dir}}, append([]string{"serve"}, tc.args...)...)
		r.want(t, 1, "", tc.msg)
	}
	// The environment is read too; flags win over it.
	r := run(t, nil, opts{env: map[string]string{"UPDRAFT_DATA_DIR": dir, "UPDRAFT_LISTEN": "bad-env"}}, "serve", "--keep-alive", "0s")
	r.want(t, 1, "", "bad-env")
	r = run(t, nil, opts{env: map[string]string{"UPDRAFT_DATA_DIR": dir, "UPDRAFT_LISTEN": "bad-env"}}, "serve", "--listen", "bad-flag")
	r.want(t, 1, "", "bad-flag")
}

// TestServe runs the real server in-process: it prints where it listens
// and the key file, the other commands find the key there, and it exits 0
// when interrupted.
func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"UPDRAFT_DATA_DIR": dir, "UPDRAFT_API_KEY": ""}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := newWatch()
	done := make(chan result, 1)
	go func() {
		done <- run(t, nil, opts{env: env, ctx: ctx, teeErr: log}, "serve", "--listen", "127.0.0.1:0")
	}()
	var addr string
	select {
	case r := <-done:
		if strings.Contains(r.stderr, "not implemented") {
			t.Skip("the daemon is not implemented yet")
		}
		t.Fatalf("serve ended early: exit %d\n%s", r.code, r.stderr)
	case m := <-log.match(regexp.MustCompile(`updraft listening on (http://\S+)\nadmin API key: (\S+) \(created\)\n`)):
		addr = m[1]
		if m[2] != filepath.Join(dir, "admin.key") {
			t.Errorf("key path %s", m[2])
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "admin.key")); err != nil {
		t.Fatal(err)
	}
	env["UPDRAFT_ENDPOINT"] = addr
	run(t, nil, opts{env: env}, "ls").want(t, 0, "no functions yet", "")

	cancel()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// watch collects writes and reports when a pattern first matches.
type watch struct {
	mu   sync.Mutex
	buf  strings.Builder
	re   *regexp.Regexp
	ch   chan []string
	sent bool
}

func newWatch() *watch { return &watch{} }

func (w *watch) match(re *regexp.Regexp) <-chan []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.re, w.ch = re, make(chan []string, 1)
	w.check()
	return w.ch
}

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.check()
	return len(p), nil
}

func (w *watch) check() {
	if w.re == nil || w.sent {
		return
	}
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
		w.sent = true
		w.ch <- m
	}
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
