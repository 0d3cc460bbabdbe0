package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func start(t *testing.T, st *store.Store, cfg Config) *Logs {
	t.Helper()
	ctx := context.Background()
	l, err := New(ctx, st, cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}

func newLogs(t *testing.T) *Logs {
	t.Helper()
	st := openStore(t, t.TempDir())
	l := start(t, st, Config{FlushInterval: 5 * time.Millisecond})
	t.Cleanup(func() {
		_ = l.Close(context.Background())
		st.Close()
	})
	return l
}

func entry(function, msg string) fn.LogEntry {
	return fn.LogEntry{Time: time.Now(), Function: function, RequestID: "r", Message: msg}
}

// query returns the messages Query emits without follow.
func query(t *testing.T, l *Logs, tenant, function string, since time.Time) []string {
	t.Helper()
	var out []string
	err := l.Query(context.Background(), tenant, function, since, false, func(e fn.LogEntry) error {
		out = append(out, e.Message)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendQueryInOrder(t *testing.T) {
	l := newLogs(t)
	for i := range 5 {
		l.Append("t1", entry("hello", StartLine(fmt.Sprint(i), "$LATEST")), entry("hello", fmt.Sprint("line ", i)))
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := query(t, l, "t1", "hello", time.Time{})
	if len(got) != 10 || got[0] != "START RequestId: 0 Version: $LATEST" || got[9] != "line 4" {
		t.Fatalf("got %q", got)
	}
}

func TestQueryIsolatesTenantsAndFunctions(t *testing.T) {
	l := newLogs(t)
	l.Append("t1", entry("a", "t1 a"), entry("b", "t1 b"))
	l.Append("t2", entry("a", "t2 a"))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ tenant, function, want string }{
		{"t1", "a", "[t1 a]"}, {"t1", "b", "[t1 b]"}, {"t2", "a", "[t2 a]"},
		{"t2", "b", "[]"}, {"t3", "a", "[]"}, {"t1", "unknown", "[]"},
	} {
		if got := fmt.Sprint(query(t, l, c.tenant, c.function, time.Time{})); got != c.want {
			t.Errorf("%s/%s: got %s, want %s", c.tenant, c.function, got, c.want)
		}
	}
	for _, bad := range [][2]string{{"t1", "*"}, {"t1", ">"}, {"*", "a"}, {"t1", "a.b"}, {"", "a"}} {
		err := l.Query(context.Background(), bad[0], bad[1], time.Time{}, false, func(fn.LogEntry) error { return nil })
		if !errors.As(err, new(*fn.Error)) {
			t.Errorf("Query(%q, %q) = %v, want an InvalidParameter error", bad[0], bad[1], err)
		}
	}
}

func TestQuerySince(t *testing.T) {
	l := newLogs(t)
	l.Append("t1", entry("f", "old"))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	since := time.Now()
	l.Append("t1", entry("f", "new"))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(query(t, l, "t1", "f", since)); got != "[new]" {
		t.Fatalf("since: got %s", got)
	}
	if got := fmt.Sprint(query(t, l, "t1", "f", time.Time{})); got != "[old new]" {
		t.Fatalf("all: got %s", got)
	}
	if got := query(t, l, "t1", "f", time.Now().Add(time.Hour)); len(got) != 0 {
		t.Fatalf("future since: got %q", got)
	}
}

func TestQueryFollow(t *testing.T) {
	l := newLogs(t)
	l.Append("t1", entry("f", "before"))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- l.Query(ctx, "t1", "f", time.Time{}, true, func(e fn.LogEntry) error {
			seen <- e.Message
			return nil
		})
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-seen:
			if got != want {
				t.Fatalf("follow: got %q, want %q", got, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("follow: %q not seen in 3s", want)
		}
	}
	expect("before")
	l.Append("t1", entry("other", "not mine"))
	l.Append("t1", entry("f", "after")) // no Flush: the interval stores it
	expect("after")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("follow returned %v after cancel, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("follow did not return after cancel")
	}
}

func TestQueryEmitErrorStops(t *testing.T) {
	l := newLogs(t)
	l.Append("t1", entry("f", "1"), entry("f", "2"), entry("f", "3"))
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("client went away")
	n := 0
	err := l.Query(context.Background(), "t1", "f", time.Time{}, false, func(fn.LogEntry) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("Query = %v after %d entries, want the emit error after 1", err, n)
	}
}

func TestCloseFlushesAndReopenKeeps(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	l := start(t, st, Config{FlushInterval: time.Hour, MaxAge: time.Hour, MaxBytes: 1 << 20})
	l.Append("t1", entry("f", "kept"), entry("f", ""))
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	l = start(t, st, Config{})
	defer l.Close(context.Background())
	if got := query(t, l, "t1", "f", time.Time{}); len(got) != 2 || got[0] != "kept" || got[1] != "" {
		t.Fatalf("after reopen: got %q", got)
	}
}

func TestNewRejectsNegativeLimits(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	if _, err := New(context.Background(), st, Config{MaxAge: -time.Second}, quiet()); err == nil {
		t.Fatal("negative MaxAge accepted")
	}
}

// TestAppendKeepsEachTime: the lines of one Append are stored with their
// own times, shared or not (the encoder formats a shared one once).
func TestAppendKeepsEachTime(t *testing.T) {
	l := newLogs(t)
	t0 := time.Date(2026, 12, 3, 7, 0, 0, 123456789, time.UTC)
	times := []time.Time{t0, t0, t0.Add(time.Second), t0.Add(time.Second), t0.In(time.FixedZone("X", 3600)), t0}
	var in []fn.LogEntry
	for i, at := range times {
		in = append(in, fn.LogEntry{Time: at, Function: "f", RequestID: "r", Message: fmt.Sprint(i)})
	}
	l.Append("t1", in...)
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []fn.LogEntry
	err := l.Query(context.Background(), "t1", "f", time.Time{}, false, func(e fn.LogEntry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(times) {
		t.Fatalf("got %d entries, want %d", len(got), len(times))
	}
	for i, e := range got {
		if !e.Time.Equal(times[i]) || e.Time.Format(time.RFC3339Nano) != times[i].Format(time.RFC3339Nano) {
			t.Errorf("entry %d: time %v, want %v", i, e.Time, times[i])
		}
	}
}
