package async

import (
	"context"
	"testing"
)

// TestEnqueueOnceDeduplicatesAcrossRestart: a producer that enqueues the
// same event again after a crash (a schedule's tick, before it recorded
// the delivery) has it stored once, even while other events of the
// function are being enqueued.
func TestEnqueueOnceDeduplicatesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, q := openQueue(t, dir, newRecorder(ok))
	if err := q.EnqueueOnce(ctx, newEvent("tick-1")); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	rec := newRecorder(ok)
	st, q = openQueue(t, dir, rec)
	defer st.Close()
	for _, id := range []string{"other-1", "tick-1", "other-2"} {
		enqueue := q.Enqueue
		if id == "tick-1" {
			enqueue = q.EnqueueOnce
		}
		if err := enqueue(ctx, newEvent(id)); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := q.q.Stats(ctx, QueueOf("default", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Visible != 3 {
		t.Fatalf("%d events stored, want 3: tick-1 once, other-1, other-2", stats.Visible)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Close(ctx)
	rec.wait(t, 3)
	seen := map[string]int{}
	for _, id := range rec.calls {
		seen[id]++
	}
	if seen["tick-1"] != 1 || seen["other-1"] != 1 || seen["other-2"] != 1 {
		t.Fatalf("calls %v", rec.calls)
	}
}
