package queuetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/queue"
)

// Open returns a started Manager on a fresh store; restart (when not nil)
// closes it and opens another on the same data, as a process restart does.
type Open func(t *testing.T) (m *queue.Manager, restart func() *queue.Manager)

// Run runs every case, each on its own fresh store.
func Run(t *testing.T, open Open) {
	cases := []struct {
		name string
		f    func(t *testing.T, open Open)
	}{
		{"SendReceiveAck", sendReceiveAck},
		{"Dedup", dedup},
		{"VisibilityTimeout", visibilityTimeout},
		{"ChangeVisibility", changeVisibility},
		{"Delay", delay},
		{"DeadLetter", deadLetter},
		{"Redrive", redrive},
		{"Purge", purge},
		{"FIFO", fifo},
		{"Isolation", isolation},
		{"SurvivesRestart", survivesRestart},
		{"Definitions", definitions},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.f(t, open) })
	}
}

var ctx = context.Background()

func d(v time.Duration) *time.Duration { return &v }

func create(t *testing.T, m *queue.Manager, id queue.ID, cfg queue.Config) {
	t.Helper()
	if _, err := m.Create(ctx, id, cfg); err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
}

func send(t *testing.T, m *queue.Manager, id queue.ID, msg queue.Message) string {
	t.Helper()
	mid, err := m.Send(ctx, id, msg)
	if err != nil {
		t.Fatalf("send to %s: %v", id, err)
	}
	return mid
}

// receive receives; with no Wait it waits up to 2 s for a first message
// (a message just sent may take a moment to reach the consumer, as on SQS
// with short polling).
func receive(t *testing.T, m *queue.Manager, id queue.ID, opt queue.ReceiveOptions) []queue.Delivery {
	t.Helper()
	if opt.Wait == 0 {
		opt.Wait = 2 * time.Second
	}
	got, err := m.Receive(ctx, id, opt)
	if err != nil {
		t.Fatalf("receive from %s: %v", id, err)
	}
	return got
}

func bodies(ds []queue.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d.Body)
	}
	return out
}

func stats(t *testing.T, m *queue.Manager, id queue.ID) queue.Stats {
	t.Helper()
	s, err := m.Stats(ctx, id)
	if err != nil {
		t.Fatalf("stats of %s: %v", id, err)
	}
	return s
}

func sendReceiveAck(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "jobs"}
	create(t, m, id, queue.Config{})
	for i := range 3 {
		send(t, m, id, queue.Message{Body: []byte(fmt.Sprint("m", i)), Attributes: []byte(`{"k":"v"}`)})
	}
	if s := stats(t, m, id); s.Visible != 3 || s.InFlight != 0 || s.Oldest.IsZero() {
		t.Fatalf("stats after 3 sends: %+v", s)
	}
	got := receive(t, m, id, queue.ReceiveOptions{Max: 10})
	if fmt.Sprint(bodies(got)) != "[m0 m1 m2]" {
		t.Fatalf("received %v, want [m0 m1 m2]", bodies(got))
	}
	for _, dl := range got {
		if dl.ID == "" || dl.Handle == "" || dl.Receives != 1 || dl.Sent.IsZero() || string(dl.Attributes) != `{"k":"v"}` {
			t.Fatalf("delivery %+v lacks its fields", dl)
		}
	}
	if s := stats(t, m, id); s.Visible != 0 || s.InFlight != 3 {
		t.Fatalf("stats with 3 in flight: %+v", s)
	}
	for _, dl := range got {
		if err := m.Ack(ctx, id, dl.Handle); err != nil {
			t.Fatalf("ack: %v", err)
		}
	}
	if s := stats(t, m, id); s.Visible != 0 || s.InFlight != 0 {
		t.Fatalf("stats after acks: %+v", s)
	}
	if got := receive(t, m, id, queue.ReceiveOptions{Max: 10, Wait: 200 * time.Millisecond}); len(got) != 0 {
		t.Fatalf("an acknowledged message came back: %v", bodies(got))
	}
	// A long poll returns as soon as a message arrives.
	go func() {
		time.Sleep(100 * time.Millisecond)
		if _, err := m.Send(ctx, id, queue.Message{Body: []byte("late")}); err != nil {
			t.Errorf("send: %v", err)
		}
	}()
	if got := receive(t, m, id, queue.ReceiveOptions{Max: 10, Wait: 10 * time.Second}); fmt.Sprint(bodies(got)) != "[late]" {
		t.Fatalf("long poll got %v, want [late]", bodies(got))
	}
	if _, err := m.Send(ctx, queue.ID{Tenant: "t1", Name: "nope"}, queue.Message{Body: []byte("x")}); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("send to a missing queue: %v, want ErrNotFound", err)
	}
}

func dedup(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "dedup"}
	create(t, m, id, queue.Config{})
	a := send(t, m, id, queue.Message{ID: "one", Body: []byte("a")})
	b := send(t, m, id, queue.Message{ID: "one", Body: []byte("a")})
	first, err := m.Store(ctx, id, queue.Message{DedupID: "k", Body: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Store(ctx, id, queue.Message{DedupID: "k", Body: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	if a != "one" || b != "one" {
		t.Fatalf("ids %q %q", a, b)
	}
	if first.Duplicate || !second.Duplicate || first.Seq == 0 || second.Seq != first.Seq {
		t.Fatalf("Store of a message and its duplicate: %+v then %+v, want the duplicate flagged with the first's sequence", first, second)
	}
	if got := receive(t, m, id, queue.ReceiveOptions{Max: 10}); fmt.Sprint(bodies(got)) != "[a b]" {
		t.Fatalf("received %v, want each de-duplicated message once", bodies(got))
	}
}

func visibilityTimeout(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "vis"}
	create(t, m, id, queue.Config{Visibility: 300 * time.Millisecond})
	send(t, m, id, queue.Message{Body: []byte("x")})
	first := receive(t, m, id, queue.ReceiveOptions{})
	if len(first) != 1 {
		t.Fatal("no message")
	}
	if got := receive(t, m, id, queue.ReceiveOptions{Wait: 50 * time.Millisecond}); len(got) != 0 {
		t.Fatal("a leased message was received twice within its visibility timeout")
	}
	again := receive(t, m, id, queue.ReceiveOptions{Wait: 5 * time.Second})
	if len(again) != 1 || again[0].Receives != 2 || again[0].ID != first[0].ID {
		t.Fatalf("after the visibility timeout: %+v, want the same message with receive count 2", again)
	}
	// A receive's own visibility overrides the queue's.
	long := receive(t, m, id, queue.ReceiveOptions{Wait: 5 * time.Second, Visibility: d(time.Hour)})
	if len(long) != 1 {
		t.Fatal("no message after the second timeout")
	}
	if got := receive(t, m, id, queue.ReceiveOptions{Wait: 700 * time.Millisecond}); len(got) != 0 {
		t.Fatal("a message leased for an hour came back after the queue's 300 ms")
	}
	if err := m.Ack(ctx, id, long[0].Handle); err != nil {
		t.Fatalf("ack after a visibility change: %v", err)
	}
	if s := stats(t, m, id); s.InFlight != 0 || s.Visible != 0 {
		t.Fatalf("stats after ack: %+v", s)
	}
}

func changeVisibility(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "chg"}
	create(t, m, id, queue.Config{Visibility: time.Hour})
	send(t, m, id, queue.Message{Body: []byte("x")})
	got := receive(t, m, id, queue.ReceiveOptions{})
	if err := m.ChangeVisibility(ctx, id, got[0].Handle, 0); err != nil {
		t.Fatal(err)
	}
	back := receive(t, m, id, queue.ReceiveOptions{Wait: 5 * time.Second})
	if len(back) != 1 || back[0].Receives != 2 {
		t.Fatalf("visibility 0 should return the message at once: %+v", back)
	}
	if err := m.Extend(ctx, id, back[0].Handle); err != nil {
		t.Fatalf("extend: %v", err)
	}
	other := queue.ID{Tenant: "t1", Name: "other"}
	create(t, m, other, queue.Config{})
	if err := m.Ack(ctx, other, back[0].Handle); !errors.Is(err, queue.ErrBadHandle) {
		t.Fatalf("another queue's handle: %v, want ErrBadHandle", err)
	}
	if err := m.Ack(ctx, id, "garbage"); !errors.Is(err, queue.ErrBadHandle) {
		t.Fatalf("a garbage handle: %v, want ErrBadHandle", err)
	}
}

func delay(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "later"}
	create(t, m, id, queue.Config{Delay: 400 * time.Millisecond})
	sent := time.Now()
	send(t, m, id, queue.Message{Body: []byte("queue-default")})
	send(t, m, id, queue.Message{Body: []byte("now"), Delay: d(0)})
	if got := receive(t, m, id, queue.ReceiveOptions{Max: 10}); fmt.Sprint(bodies(got)) != "[now]" {
		t.Fatalf("before the delay: %v, want [now]", bodies(got))
	}
	if s := stats(t, m, id); s.Delayed != 1 {
		t.Fatalf("stats: %+v, want 1 delayed", s)
	}
	got := receive(t, m, id, queue.ReceiveOptions{Max: 10, Wait: 10 * time.Second})
	if fmt.Sprint(bodies(got)) != "[queue-default]" || got[0].Receives != 1 {
		t.Fatalf("after the delay: %+v", got)
	}
	if waited := time.Since(sent); waited < 400*time.Millisecond {
		t.Fatalf("a message delayed 400 ms was received after %v", waited)
	}
}

func deadLetter(t *testing.T, open Open) {
	m, _ := open(t)
	dlq := queue.ID{Tenant: "t1", Name: "dlq"}
	src := queue.ID{Tenant: "t1", Name: "src"}
	create(t, m, dlq, queue.Config{})
	create(t, m, src, queue.Config{Visibility: time.Hour, MaxReceives: 2, DeadLetter: "dlq"})
	mid := send(t, m, src, queue.Message{Body: []byte("poison")})
	for i := 1; i <= 2; i++ {
		got := receive(t, m, src, queue.ReceiveOptions{Wait: 5 * time.Second})
		if len(got) != 1 || got[0].Receives != i {
			t.Fatalf("receive %d: %+v", i, got)
		}
		if err := m.ChangeVisibility(ctx, src, got[0].Handle, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := receive(t, m, src, queue.ReceiveOptions{Wait: 500 * time.Millisecond}); len(got) != 0 {
		t.Fatalf("a message past its maximum receive count was returned: %+v", got)
	}
	got := receive(t, m, dlq, queue.ReceiveOptions{Wait: 5 * time.Second})
	if len(got) != 1 || got[0].ID != mid || string(got[0].Body) != "poison" || got[0].Receives != 1 {
		t.Fatalf("dead-letter queue holds %+v, want the poison message", got)
	}
	if _, err := m.Create(ctx, queue.ID{Tenant: "t1", Name: "bad"}, queue.Config{MaxReceives: 3}); err == nil {
		t.Fatal("a dead-letter policy without a target was accepted")
	}
}

func redrive(t *testing.T, open Open) {
	m, _ := open(t)
	dlq := queue.ID{Tenant: "t1", Name: "dlq"}
	src := queue.ID{Tenant: "t1", Name: "src"}
	create(t, m, dlq, queue.Config{})
	create(t, m, src, queue.Config{})
	for i := range 5 {
		send(t, m, dlq, queue.Message{Body: []byte(fmt.Sprint(i))})
	}
	n, err := m.Redrive(ctx, dlq, src, 3)
	if err != nil || n != 3 {
		t.Fatalf("redrive 3: %d, %v", n, err)
	}
	n, err = m.Redrive(ctx, dlq, src, 0)
	if err != nil || n != 2 {
		t.Fatalf("redrive the rest: %d, %v", n, err)
	}
	if got := receive(t, m, src, queue.ReceiveOptions{Max: 10}); fmt.Sprint(bodies(got)) != "[0 1 2 3 4]" {
		t.Fatalf("redriven: %v", bodies(got))
	}
}

func purge(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "p"}
	create(t, m, id, queue.Config{})
	for range 4 {
		send(t, m, id, queue.Message{Body: []byte("x")})
	}
	send(t, m, id, queue.Message{Body: []byte("x"), Delay: d(time.Minute)})
	receive(t, m, id, queue.ReceiveOptions{})
	if err := m.Purge(ctx, id); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, m, id); s.Visible+s.InFlight+s.Delayed != 0 {
		t.Fatalf("stats after purge: %+v", s)
	}
	send(t, m, id, queue.Message{Body: []byte("after")})
	if got := receive(t, m, id, queue.ReceiveOptions{Max: 10}); fmt.Sprint(bodies(got)) != "[after]" {
		t.Fatalf("after purge: %v", bodies(got))
	}
}

func fifo(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "orders.fifo"}
	create(t, m, id, queue.Config{FIFO: true, Visibility: time.Hour})
	for i := range 6 {
		send(t, m, id, queue.Message{Body: []byte(fmt.Sprint(i)), Group: fmt.Sprint("g", i%2), DedupID: fmt.Sprint("d", i)})
	}
	send(t, m, id, queue.Message{Body: []byte("dup"), Group: "g0", DedupID: "d0"})
	first := receive(t, m, id, queue.ReceiveOptions{Max: 3})
	if fmt.Sprint(bodies(first)) != "[0 1 2]" || first[0].Group != "g0" || first[0].DedupID != "d0" {
		t.Fatalf("first batch: %+v", first)
	}
	if got := receive(t, m, id, queue.ReceiveOptions{Max: 3, Wait: 200 * time.Millisecond}); len(got) != 0 {
		t.Fatalf("a second batch while the first is in flight: %v", bodies(got))
	}
	// The batch fails: it comes back first, in order.
	for _, dl := range first {
		if err := m.ChangeVisibility(ctx, id, dl.Handle, 0); err != nil {
			t.Fatal(err)
		}
	}
	again := receive(t, m, id, queue.ReceiveOptions{Max: 10, Wait: 5 * time.Second})
	if fmt.Sprint(bodies(again)) != "[0 1 2 3 4 5]" {
		t.Fatalf("after the batch failed: %v, want every message in order, the duplicate once", bodies(again))
	}
}

func isolation(t *testing.T, open Open) {
	m, _ := open(t)
	a := queue.ID{Tenant: "alice", Name: "q"}
	b := queue.ID{Tenant: "bob", Name: "q"}
	create(t, m, a, queue.Config{})
	create(t, m, b, queue.Config{})
	send(t, m, a, queue.Message{Body: []byte("for alice")})
	if got := receive(t, m, b, queue.ReceiveOptions{Max: 10}); len(got) != 0 {
		t.Fatalf("bob received alice's message: %v", bodies(got))
	}
	got := receive(t, m, a, queue.ReceiveOptions{})
	if err := m.Ack(ctx, b, got[0].Handle); !errors.Is(err, queue.ErrBadHandle) {
		t.Fatalf("bob settled alice's message: %v", err)
	}
	ids, err := m.List(ctx, "bob", "")
	if err != nil || len(ids) != 1 || ids[0] != b {
		t.Fatalf("bob's queues: %v, %v", ids, err)
	}
}

func survivesRestart(t *testing.T, open Open) {
	m, restart := open(t)
	if restart == nil {
		t.Skip("this store cannot restart")
	}
	id := queue.ID{Tenant: "t1", Name: "durable"}
	create(t, m, id, queue.Config{Visibility: 300 * time.Millisecond})
	send(t, m, id, queue.Message{Body: []byte("kept")})
	send(t, m, id, queue.Message{Body: []byte("leased")})
	send(t, m, id, queue.Message{Body: []byte("delayed"), Delay: d(300 * time.Millisecond)})
	if got := receive(t, m, id, queue.ReceiveOptions{}); fmt.Sprint(bodies(got)) != "[kept]" {
		t.Fatalf("got %v", bodies(got))
	}
	m = restart()
	var all []string
	deadline := time.Now().Add(10 * time.Second)
	for len(all) < 3 && time.Now().Before(deadline) {
		for _, dl := range receive(t, m, id, queue.ReceiveOptions{Max: 10, Wait: time.Second}) {
			all = append(all, string(dl.Body))
			if err := m.Ack(ctx, id, dl.Handle); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(all) != 3 {
		t.Fatalf("after a restart got %v, want kept, leased and delayed", all)
	}
}

func definitions(t *testing.T, open Open) {
	m, _ := open(t)
	id := queue.ID{Tenant: "t1", Name: "defs"}
	create(t, m, id, queue.Config{Visibility: time.Minute, Attributes: map[string]string{"x": "1"}})
	if _, err := m.Create(ctx, id, queue.Config{Visibility: time.Minute, Attributes: map[string]string{"x": "1"}}); err != nil {
		t.Fatalf("creating an identical queue again: %v", err)
	}
	if _, err := m.Create(ctx, id, queue.Config{Visibility: 2 * time.Minute}); !errors.Is(err, queue.ErrExists) {
		t.Fatalf("creating it with other attributes: %v, want ErrExists", err)
	}
	cfg, err := m.Update(ctx, id, func(c *queue.Config) error { c.Visibility = 200 * time.Millisecond; return nil })
	if err != nil || cfg.Visibility != 200*time.Millisecond {
		t.Fatalf("update: %+v, %v", cfg, err)
	}
	send(t, m, id, queue.Message{Body: []byte("x")})
	receive(t, m, id, queue.ReceiveOptions{})
	if got := receive(t, m, id, queue.ReceiveOptions{Wait: 5 * time.Second}); len(got) != 1 {
		t.Fatal("the updated visibility timeout did not apply")
	}
	if err := m.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, id); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if _, err := m.Receive(ctx, id, queue.ReceiveOptions{}); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("receive after delete: %v", err)
	}
	if _, err := m.Create(ctx, id, queue.Config{}); err != nil {
		t.Fatalf("create again after delete: %v", err)
	}
	if got := receive(t, m, id, queue.ReceiveOptions{}); len(got) != 0 {
		t.Fatalf("a re-created queue holds the old one's messages: %v", bodies(got))
	}
}
