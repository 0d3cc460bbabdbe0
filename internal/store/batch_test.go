package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func openTest(t *testing.T) (*Store, jetstream.Stream) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	st, err := s.Stream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startBatcher(t *testing.T, s *Store, cfg BatchConfig) *Batcher {
	t.Helper()
	b := NewBatcher(s, cfg, quiet())
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

// readAll returns the items stored under filter, in stream order.
func readAll(t *testing.T, st jetstream.Stream, filter string) []string {
	t.Helper()
	var out []string
	err := ReadBatches(context.Background(), st, ReadOptions{Filter: filter}, func(item json.RawMessage) error {
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func item(s string) []byte { b, _ := json.Marshal(s); return b }

func msgs(t *testing.T, st jetstream.Stream) uint64 {
	t.Helper()
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestBatcherConcurrentAddsFewMessages(t *testing.T) {
	s, st := openTest(t)
	b := startBatcher(t, s, BatchConfig{FlushInterval: 20 * time.Millisecond})
	const writers, per = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				b.Add(fmt.Sprintf("t.%d", w%2), item(fmt.Sprintf("%d-%d", w, i)))
			}
		})
	}
	wg.Wait()
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := append(readAll(t, st, "t.0"), readAll(t, st, "t.1")...)
	if len(got) != writers*per {
		t.Fatalf("stored %d items, want %d", len(got), writers*per)
	}
	seen := map[string]bool{}
	for _, s := range got {
		seen[s] = true
	}
	if len(seen) != writers*per {
		t.Fatalf("%d distinct items, want %d", len(seen), writers*per)
	}
	// Per writer, its items are stored in the order it added them.
	next := map[string]int{}
	for _, s := range got {
		var w, i int
		fmt.Sscanf(s, "%d-%d", &w, &i)
		if key := fmt.Sprint(w); i != next[key] {
			t.Fatalf("writer %d: item %d stored where %d was due", w, i, next[key])
		}
		next[fmt.Sprint(w)]++
	}
	if n := msgs(t, st); n > 40 {
		t.Errorf("%d items took %d messages: not batched", writers*per, n)
	}
	t.Logf("%d items in %d messages", writers*per, msgs(t, st))
}

func TestBatcherFlushesAfterInterval(t *testing.T) {
	s, st := openTest(t)
	b := startBatcher(t, s, BatchConfig{FlushInterval: 10 * time.Millisecond})
	b.Add("t.a", item("x"), item("y"))
	deadline := time.Now().Add(3 * time.Second)
	for msgs(t, st) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing stored 3s after Add with a 10ms interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := readAll(t, st, "t.a"); fmt.Sprint(got) != "[x y]" {
		t.Fatalf("got %v", got)
	}
}

func TestBatcherCloseFlushes(t *testing.T) {
	s, st := openTest(t)
	b := NewBatcher(s, BatchConfig{FlushInterval: time.Hour}, quiet())
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		b.Add("t.c", item(fmt.Sprint(i)))
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, st, "t.c"); len(got) != 100 || got[99] != "99" {
		t.Fatalf("after Close stored %d items, want 100", len(got))
	}
	b.Add("t.c", item("late"))
	if b.Lost() != 1 {
		t.Fatalf("Add after Close: Lost = %d, want 1", b.Lost())
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestBatcherCloseWithoutStart(t *testing.T) {
	s, st := openTest(t)
	b := NewBatcher(s, BatchConfig{}, quiet())
	if err := b.Flush(context.Background()); err == nil {
		t.Fatal("Flush before Start: no error")
	}
	b.Add("t.n", item("a"))
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, st, "t.n"); len(got) != 1 {
		t.Fatalf("got %v", got)
	}
}

func TestBatcherSplitsAtMaxBytes(t *testing.T) {
	s, st := openTest(t)
	b := startBatcher(t, s, BatchConfig{FlushInterval: time.Hour, MaxBytes: 1000})
	big := item(strings.Repeat("x", 300))
	for range 10 {
		b.Add("t.s", big)
	}
	b.Add("t.s", item(strings.Repeat("y", 5000))) // alone over MaxBytes: its own message
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, st, "t.s"); len(got) != 11 {
		t.Fatalf("stored %d items, want 11", len(got))
	}
	// 300-byte items: 3 fit in 1000 bytes, so 4 messages, plus the big one.
	if n := msgs(t, st); n != 5 {
		t.Fatalf("%d messages, want 5", n)
	}
}

func TestBatcherDropsBadItems(t *testing.T) {
	s, st := openTest(t)
	b := startBatcher(t, s, BatchConfig{})
	b.Add("t.d", item("ok"))
	b.Add("t.d", []byte(`{"not":json`))
	b.Add("t.d", []byte(`"`+strings.Repeat("z", 9<<20)+`"`)) // more than a message holds
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.Lost() != 2 {
		t.Fatalf("Lost = %d, want 2", b.Lost())
	}
	if got := readAll(t, st, "t.d"); len(got) != 1 {
		t.Fatalf("got %d items, want 1", len(got))
	}
}

func TestBatcherBoundsMemory(t *testing.T) {
	s, st := openTest(t)
	b := startBatcher(t, s, BatchConfig{FlushInterval: time.Hour, MaxPending: 100})
	for i := range 50 {
		b.Add("t.m", item(fmt.Sprint(i)))
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored := len(readAll(t, st, "t.m"))
	if stored == 0 || stored == 50 || int64(stored)+b.Lost() != 50 {
		t.Fatalf("stored %d, lost %d: want some of each, 50 in all", stored, b.Lost())
	}
}

func TestBatcherLogsLossAfterRetries(t *testing.T) {
	s, _ := openTest(t)
	b := NewBatcher(s, BatchConfig{}, quiet())
	b.retries, b.backoff = 3, time.Millisecond
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	b.Add("nostream.x", item("a"), item("b"))
	if err := b.Flush(context.Background()); err == nil {
		t.Fatal("Flush to a subject without a stream: no error")
	}
	if b.Lost() != 2 {
		t.Fatalf("Lost = %d, want 2", b.Lost())
	}
}

func TestBatcherCloseBoundedByContext(t *testing.T) {
	s, _ := openTest(t)
	b := NewBatcher(s, BatchConfig{FlushInterval: time.Hour}, quiet())
	b.backoff = time.Hour // a failing publish would wait an hour to retry
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Add("nostream.y", item("a"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Flush(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Flush = %v, want the context's deadline", err)
	}
	start := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Close(ctx); err == nil {
		t.Fatal("Close: no error though the publish failed")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v with a 50ms context", d)
	}
	if b.Lost() != 1 {
		t.Fatalf("Lost = %d, want 1", b.Lost())
	}
}

func TestReadBatchesSinceAndFollow(t *testing.T) {
	s, st := openTest(t)
	b := startBatcher(t, s, BatchConfig{FlushInterval: 5 * time.Millisecond})
	b.Add("t.f", item("old"))
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	since := time.Now()
	b.Add("t.f", item("new"))
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := ReadBatches(context.Background(), st, ReadOptions{Filter: "t.f", Since: since}, func(it json.RawMessage) error {
		got = append(got, string(it))
		return nil
	})
	if err != nil || fmt.Sprint(got) != `["new"]` {
		t.Fatalf("since: got %v, %v", got, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- ReadBatches(ctx, st, ReadOptions{Filter: "t.f", Follow: true}, func(it json.RawMessage) error {
			seen <- string(it)
			return nil
		})
	}()
	b.Add("t.f", item("live"))
	b.Add("t.other", item("elsewhere"))
	for _, want := range []string{`"old"`, `"new"`, `"live"`} {
		select {
		case s := <-seen:
			if s != want {
				t.Fatalf("follow: got %s, want %s", s, want)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("follow: %s not seen in 3s", want)
		}
	}
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

func TestReadBatchesEmpty(t *testing.T) {
	_, st := openTest(t)
	calls := 0
	err := ReadBatches(context.Background(), st, ReadOptions{Filter: "t.none"}, func(json.RawMessage) error { calls++; return nil })
	if err != nil || calls != 0 {
		t.Fatalf("empty stream: %d calls, %v", calls, err)
	}
}

func TestCheckToken(t *testing.T) {
	for _, ok := range []string{"a", "hello-world_1", "default"} {
		if err := CheckToken(ok); err != nil {
			t.Errorf("CheckToken(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", "*", ">", "a b", "x\n"} {
		if CheckToken(bad) == nil {
			t.Errorf("CheckToken(%q) accepted", bad)
		}
	}
}

// BenchmarkBatcherAdd measures the hot path: Add from parallel goroutines,
// the flusher publishing behind them.
func BenchmarkBatcherAdd(b *testing.B) {
	s, err := Open(context.Background(), Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Stream(context.Background(), jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		b.Fatal(err)
	}
	bt := NewBatcher(s, BatchConfig{}, quiet())
	if err := bt.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	it := []byte(`{"time":"2026-01-02T03:04:05.123456789Z","function":"hello","request_id":"8f9a3c1e-1111-2222-3333-444455556666","message":"REPORT RequestId: x\tDuration: 1.23 ms"}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bt.Add("t.bench", it)
		}
	})
	if err := bt.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if bt.Lost() != 0 {
		b.Fatalf("lost %d items", bt.Lost())
	}
}
