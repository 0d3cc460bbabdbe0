package logs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

func search(t *testing.T, l *Logs, s Search) []string {
	t.Helper()
	var out []string
	err := l.Search(context.Background(), "t1", "f", s, func(e fn.LogEntry) error {
		out = append(out, e.Message)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSearchFilters(t *testing.T) {
	l := newLogs(t)
	t0 := time.Now().Add(-time.Hour)
	for i, msg := range []string{"START a", "error: one", "REPORT a", "START b", "fine", "error: two", "REPORT b"} {
		id := "a"
		if i >= 3 {
			id = "b"
		}
		l.Append("t1", fn.LogEntry{Time: t0.Add(time.Duration(i) * time.Minute), Function: "f", RequestID: id, Message: msg})
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		s    Search
		want []string
	}{
		{"text", Search{Text: "error:"}, []string{"error: one", "error: two"}},
		{"request id", Search{RequestID: "b"}, []string{"START b", "fine", "error: two", "REPORT b"}},
		{"until", Search{Until: t0.Add(90 * time.Second)}, []string{"START a", "error: one"}},
		{"tail", Search{Tail: 2}, []string{"error: two", "REPORT b"}},
		{"tail of matches", Search{Tail: 1, Text: "START"}, []string{"START b"}},
		{"tail beyond all", Search{Tail: 50, RequestID: "a"}, []string{"START a", "error: one", "REPORT a"}},
	} {
		if got := search(t, l, tc.s); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, bad := range []Search{{Tail: -1}, {Follow: true, Until: t0}, {Since: t0, Until: t0.Add(-time.Second)}} {
		if err := l.Search(context.Background(), "t1", "f", bad, func(fn.LogEntry) error { return nil }); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestSearchTailFollow: --tail N --follow prints the last N lines, then
// only lines stored after them, none twice.
func TestSearchTailFollow(t *testing.T) {
	l := newLogs(t)
	for _, m := range []string{"one", "two", "three"} {
		l.Append("t1", entry("f", m))
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- l.Search(ctx, "t1", "f", Search{Tail: 2, Follow: true}, func(e fn.LogEntry) error {
			seen <- e.Message
			return nil
		})
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-seen:
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("%q not seen in 3s", want)
		}
	}
	expect("two")
	expect("three")
	l.Append("t1", entry("f", "four"))
	expect("four")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case extra := <-seen:
		t.Fatalf("extra line %q", extra)
	default:
	}
}
