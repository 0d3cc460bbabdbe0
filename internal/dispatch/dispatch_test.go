package dispatch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dispatch"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
)

func openQueues(t *testing.T) *queue.Manager {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := queue.Open(ctx, st, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(ctx); _ = st.Close() })
	return m
}

// TestBatchesAndSettles: messages sent within the batching window arrive
// in one batch; an acknowledged message is gone, a retried one comes back
// after its delay with its receive count up, an unsettled one after its
// visibility timeout.
func TestBatchesAndSettles(t *testing.T) {
	ctx := context.Background()
	m := openQueues(t)
	id := queue.ID{Tenant: "t", Name: "work"}
	if _, err := m.Create(ctx, id, queue.Config{Visibility: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := m.Send(ctx, id, queue.Message{Body: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var batches [][]string
	got := make(chan struct{}, 10)
	r := dispatch.NewRunner(m, nil)
	defer r.Close(ctx)
	r.Set("work", dispatch.Loop{Queue: id, Batch: 10, Window: 300 * time.Millisecond, Handler: func(ctx context.Context, batch []queue.Delivery) []dispatch.Outcome {
		out := make([]dispatch.Outcome, len(batch))
		var names []string
		for i, d := range batch {
			names = append(names, fmt.Sprintf("%s#%d", d.Body, d.Receives))
			switch string(d.Body) {
			case "1":
				out[i] = dispatch.Outcome{Retry: 50 * time.Millisecond}
			case "2":
				out[i] = dispatch.Outcome{} // left to its visibility timeout
			default:
				out[i] = dispatch.Outcome{Ack: true}
			}
			if d.Receives > 1 {
				out[i] = dispatch.Outcome{Ack: true}
			}
		}
		mu.Lock()
		batches = append(batches, names)
		mu.Unlock()
		got <- struct{}{}
		return out
	}})
	for range 2 {
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			t.Fatalf("batches so far: %v", batches)
		}
	}
	deadline := time.After(20 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, b := range batches {
			n += len(b)
		}
		mu.Unlock()
		if n >= 7 {
			break
		}
		select {
		case <-got:
		case <-deadline:
			t.Fatalf("batches: %v", batches)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(batches[0]) != "[0#1 1#1 2#1 3#1 4#1]" {
		t.Fatalf("first batch %v, want all five at once", batches[0])
	}
	rest := fmt.Sprint(batches[1:])
	if rest != "[[1#2] [2#2]]" && rest != "[[1#2 2#2]]" {
		t.Fatalf("later batches %v, want 1 (retried) and then 2 (timed out), once each", rest)
	}
	// Settles follow the handler: wait for the last acknowledgements.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s, err := m.Stats(ctx, id)
		if err == nil && s.Visible+s.InFlight == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("left: %+v %v", s, err)
		}
	}
}

// TestOneSlowQueueDoesNotHoldAnother: a loop whose handler blocks leaves
// another queue's loop running.
func TestOneSlowQueueDoesNotHoldAnother(t *testing.T) {
	ctx := context.Background()
	m := openQueues(t)
	slow, fast := queue.ID{Tenant: "t", Name: "slow"}, queue.ID{Tenant: "t", Name: "fast"}
	for _, id := range []queue.ID{slow, fast} {
		if _, err := m.Create(ctx, id, queue.Config{}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := m.Send(ctx, id, queue.Message{Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	release := make(chan struct{})
	done := make(chan string, 10)
	r := dispatch.NewRunner(m, nil)
	r.Set("slow", dispatch.Loop{Queue: slow, Handler: func(ctx context.Context, b []queue.Delivery) []dispatch.Outcome {
		<-release
		return []dispatch.Outcome{{Ack: true}}
	}})
	r.Set("fast", dispatch.Loop{Queue: fast, Handler: func(ctx context.Context, b []queue.Delivery) []dispatch.Outcome {
		done <- "fast"
		return []dispatch.Outcome{{Ack: true}}
	}})
	for i := range 3 {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("the fast queue delivered %d of 3 while the slow one was blocked", i)
		}
	}
	close(release)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
