package async

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
)

// recorder is an Invoker that records calls and answers from a script.
type recorder struct {
	mu     sync.Mutex
	calls  []string // request ids
	answer func(n int, req *fn.Request) (*fn.Result, error)
	got    chan struct{}
}

func newRecorder(answer func(n int, req *fn.Request) (*fn.Result, error)) *recorder {
	return &recorder{answer: answer, got: make(chan struct{}, 100)}
}

func (r *recorder) Invoke(ctx context.Context, req *fn.Request) (*fn.Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, req.RequestID)
	n := len(r.calls)
	r.mu.Unlock()
	defer func() { r.got <- struct{}{} }()
	return r.answer(n, req)
}

func (r *recorder) Finish(*fn.Result) {}

func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-r.got:
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d invocations", i, n)
		}
	}
}

func ok(int, *fn.Request) (*fn.Result, error) {
	return &fn.Result{Payload: []byte(`1`)}, nil
}

func openQueue(t *testing.T, dir string, inv fn.Invoker) (*store.Store, *Queue) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	qm, err := queue.Open(ctx, st, queue.Options{})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := qm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = qm.Close(ctx) })
	q, err := New(ctx, st, qm, inv, Config{Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, q
}

func newEvent(id string) *Event {
	return &Event{RequestID: id, Tenant: "default", Function: "f", Payload: []byte(`{"n":1}`)}
}

// TestDurableAcrossRestart: an event enqueued (acknowledged) and not yet
// run survives the process going away and runs after the restart.
func TestDurableAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, q := openQueue(t, dir, newRecorder(ok))
	if err := q.Enqueue(ctx, newEvent("e1")); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	rec := newRecorder(ok)
	st, q = openQueue(t, dir, rec)
	defer st.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	rec.wait(t, 1)
	if rec.calls[0] != "e1" {
		t.Fatalf("calls %v", rec.calls)
	}
}

// TestRetries: a failing function is retried until it succeeds, up to
// MaxAttempts; a request that cannot run is not retried.
func TestRetries(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(func(n int, req *fn.Request) (*fn.Result, error) {
		switch {
		case req.RequestID == "gone":
			return nil, fn.FunctionNotFound("default", "f")
		case req.RequestID == "flaky" && n < 3:
			return &fn.Result{Payload: []byte(`{"errorMessage":"no"}`), FunctionError: "Unhandled"}, nil
		case req.RequestID == "broken":
			return &fn.Result{Payload: []byte(`{"errorMessage":"no"}`), FunctionError: "Unhandled"}, nil
		}
		return &fn.Result{Payload: []byte(`1`)}, nil
	})
	st, q := openQueue(t, t.TempDir(), rec)
	defer st.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Enqueue(ctx, newEvent("flaky")); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 3) // fails twice, then succeeds
	if err := q.Enqueue(ctx, newEvent("gone")); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	if err := q.Enqueue(ctx, newEvent("broken")); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, DefaultMaxAttempts)
	time.Sleep(300 * time.Millisecond) // no further attempts
	rec.mu.Lock()
	got := strings.Join(rec.calls, ",")
	rec.mu.Unlock()
	if got != "flaky,flaky,flaky,gone,broken,broken,broken" {
		t.Fatalf("calls %s", got)
	}
	// Everything settled: the function's queue is empty.
	stats, err := q.q.Stats(ctx, QueueOf("default", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Visible+stats.InFlight+stats.Delayed != 0 {
		t.Fatalf("events left in the queue: %+v", stats)
	}
}

func TestEnqueueLimits(t *testing.T) {
	st, q := openQueue(t, t.TempDir(), newRecorder(ok))
	defer st.Close()
	ev := newEvent("big")
	ev.Payload = []byte(`"` + strings.Repeat("x", fn.MaxAsyncPayload) + `"`)
	err := q.Enqueue(context.Background(), ev)
	if e := fn.AsError(err); e.Type != fn.TypeRequestTooLarge {
		t.Fatalf("got %v", err)
	}
}

// TestThrottlesDoNotSpendAttempts: an event throttled more times than it
// has attempts still runs once capacity frees, as on Lambda.
func TestThrottlesDoNotSpendAttempts(t *testing.T) {
	ctx := context.Background()
	throttles := DefaultMaxAttempts + 2
	rec := newRecorder(func(n int, req *fn.Request) (*fn.Result, error) {
		if n <= throttles {
			return nil, &fn.Error{Status: 429, Type: fn.TypeTooManyRequests, Message: "busy"}
		}
		return &fn.Result{Payload: []byte(`1`)}, nil
	})
	st, q := openQueue(t, t.TempDir(), rec)
	defer st.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	if err := q.Enqueue(ctx, newEvent("busy")); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, throttles+1)
	time.Sleep(300 * time.Millisecond) // no further attempts after the success
	rec.mu.Lock()
	n := len(rec.calls)
	rec.mu.Unlock()
	if n != throttles+1 {
		t.Fatalf("%d calls, want %d throttled ones and one that ran", n, throttles+1)
	}
}

// TestGroupCommit: events enqueued at once (stored together while a write
// is on its way to disk) each run exactly once, and one of them that is
// throttled still runs once capacity frees, without the others running
// again.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	var throttled sync.Once
	rec := newRecorder(func(n int, req *fn.Request) (*fn.Result, error) {
		if req.RequestID == "e7" {
			busy := false
			throttled.Do(func() { busy = true })
			if busy {
				return nil, &fn.Error{Status: 429, Type: fn.TypeTooManyRequests, Message: "busy"}
			}
		}
		return &fn.Result{Payload: []byte(`1`)}, nil
	})
	st, q := openQueue(t, t.TempDir(), rec)
	defer st.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.Enqueue(ctx, newEvent(fmt.Sprint("e", i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rec.wait(t, n+1) // every event, and e7 once more after its throttle
	time.Sleep(300 * time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	count := map[string]int{}
	for _, id := range rec.calls {
		count[id]++
	}
	for i := range n {
		id := fmt.Sprint("e", i)
		want := 1
		if id == "e7" {
			want = 2
		}
		if count[id] != want {
			t.Fatalf("%s ran %d times, want %d (calls: %d)", id, count[id], want, len(rec.calls))
		}
	}
}

// TestMaxEventAge: an event older than its maximum age fails with
// EventAgeExceeded without running, and is kept with the function's
// failed events (no destination is configured).
func TestMaxEventAge(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(ok)
	st, q := openQueue(t, t.TempDir(), rec)
	defer st.Close()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	old := newEvent("old")
	old.Enqueued = time.Now().Add(-DefaultMaxAge - time.Minute)
	if err := q.Enqueue(ctx, old); err != nil {
		t.Fatal(err)
	}
	var failed []Failed
	for deadline := time.Now().Add(20 * time.Second); len(failed) == 0; time.Sleep(20 * time.Millisecond) {
		var err error
		if failed, err = q.FailedEvents(ctx, "default", "f", 10); err != nil || time.Now().After(deadline) {
			t.Fatalf("failed events: %v %v", failed, err)
		}
	}
	if f := failed[0]; f.RequestID != "old" || f.Condition != "EventAgeExceeded" || f.Attempts != 0 || f.Why == "" {
		t.Fatalf("kept %+v", f)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) != 0 {
		t.Fatalf("an expired event ran: %v", rec.calls)
	}
}
