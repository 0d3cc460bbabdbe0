package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
)

// recorder is an Invoker that records every SQS event it gets and answers
// from a script.
type recorder struct {
	mu     sync.Mutex
	events []event.SQSEvent
	reqs   []*fn.Request
	answer func(n int, ev event.SQSEvent) (*fn.Result, error)
	got    chan struct{}
}

func newRecorder(answer func(n int, ev event.SQSEvent) (*fn.Result, error)) *recorder {
	return &recorder{answer: answer, got: make(chan struct{}, 1000)}
}

func (r *recorder) Invoke(ctx context.Context, req *fn.Request) (*fn.Result, error) {
	var ev event.SQSEvent
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		return nil, fmt.Errorf("not an SQS event: %w", err)
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.reqs = append(r.reqs, req)
	n := len(r.events)
	r.mu.Unlock()
	defer func() { r.got <- struct{}{} }()
	return r.answer(n, ev)
}

func (r *recorder) Finish(*fn.Result) {}

func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-r.got:
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d invocations", i, n)
		}
	}
}

func (r *recorder) calls() []event.SQSEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func succeed(int, event.SQSEvent) (*fn.Result, error) {
	return &fn.Result{Payload: []byte(`null`)}, nil
}

type fixture struct {
	st  *store.Store
	qm  *queue.Manager
	ms  *Store
	run *Runner
}

// open starts a store, queues, the mapping store and a Runner with inv.
func open(t *testing.T, inv fn.Invoker) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	qm, err := queue.Open(ctx, st, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := qm.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = qm.Close(ctx) })
	ms, err := Open(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, qm: qm, ms: ms}
	f.run = f.runner(t, inv)
	return f
}

func (f *fixture) runner(t *testing.T, inv fn.Invoker) *Runner {
	t.Helper()
	r, err := NewRunner(f.ms, f.qm, inv, Config{Backoff: func(int) time.Duration { return 50 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func (f *fixture) queue(t *testing.T, name string, cfg queue.Config) {
	t.Helper()
	if _, err := f.qm.Create(context.Background(), queue.ID{Tenant: "t", Name: name}, cfg); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) send(t *testing.T, name string, bodies ...string) []string {
	t.Helper()
	var ids []string
	for _, b := range bodies {
		id, err := f.qm.Send(context.Background(), queue.ID{Tenant: "t", Name: name}, queue.Message{Body: []byte(b)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (f *fixture) mapping(t *testing.T, m Mapping) Mapping {
	t.Helper()
	m.Tenant = "t"
	if m.Function == "" {
		m.Function = "f"
	}
	if m.BatchSize == 0 {
		m.BatchSize = DefaultBatchSize
	}
	m.Enabled = true
	m, err := f.ms.Create(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	f.waitState(t, f.run, m, StateEnabled)
	return m
}

// waitState waits until r reports m's state as want.
func (f *fixture) waitState(t *testing.T, r *Runner, m Mapping, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := f.ms.Get(context.Background(), m.Tenant, m.UUID)
		if err != nil {
			t.Fatal(err)
		}
		got := r.State(&cur)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping %s is %s, want %s", m.UUID, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) stats(t *testing.T, name string) queue.Stats {
	t.Helper()
	s, err := f.qm.Stats(context.Background(), queue.ID{Tenant: "t", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBatchingWindow: messages sent within the batching window reach the
// function as one event with Lambda's SQS record shape.
func TestBatchingWindow(t *testing.T) {
	rec := newRecorder(succeed)
	f := open(t, rec)
	f.queue(t, "work", queue.Config{})
	m := f.mapping(t, Mapping{Queue: "work", Qualifier: "live", BatchSize: 20, WindowSeconds: 3})
	ids := f.send(t, "work", "one")
	ids = append(ids, f.send(t, "work", "two", "three")...)
	rec.wait(t, 1)
	ev := rec.calls()[0]
	if len(ev.Records) != 3 {
		t.Fatalf("%d records in the batch, want 3 (window not honoured)", len(ev.Records))
	}
	r := ev.Records[0]
	if r.MessageID != ids[0] || r.Body != "one" || r.EventSource != "aws:sqs" ||
		r.EventSourceARN != QueueARN("t", "work") || r.AWSRegion != fn.Region ||
		r.MD5OfBody != event.MD5OfBody("one") || r.ReceiptHandle == "" ||
		r.Attributes["ApproximateReceiveCount"] != "1" || r.Attributes["SenderId"] != fn.AccountID("t") ||
		r.Attributes["SentTimestamp"] == "0" || r.MessageAttributes == nil {
		t.Fatalf("record %+v", r)
	}
	rec.mu.Lock()
	req := rec.reqs[0]
	rec.mu.Unlock()
	if req.Function != "f" || req.Qualifier != "live" || req.Tenant != "t" {
		t.Fatalf("invoked %s:%s of %s", req.Function, req.Qualifier, req.Tenant)
	}
	waitEmpty(t, f, "work")
	if res := f.run.LastResult(&m); res != "OK" {
		t.Fatalf("LastProcessingResult %q", res)
	}
}

// waitEmpty waits until every message of the queue is deleted.
func waitEmpty(t *testing.T, f *fixture, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := f.stats(t, name)
		if s.Visible+s.InFlight+s.Delayed == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("messages left in %s: %+v", name, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPartialBatchFailure: with ReportBatchItemFailures only the listed
// message comes back (after its visibility timeout, received again); the
// others are deleted at once.
func TestPartialBatchFailure(t *testing.T) {
	var failID string
	rec := newRecorder(func(n int, ev event.SQSEvent) (*fn.Result, error) {
		if n == 1 {
			return &fn.Result{Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"` + failID + `"}]}`)}, nil
		}
		return &fn.Result{Payload: []byte(`{"batchItemFailures":[]}`)}, nil
	})
	f := open(t, rec)
	f.queue(t, "work", queue.Config{Visibility: time.Second})
	ids := f.send(t, "work", "a", "b", "c")
	failID = ids[1]
	f.mapping(t, Mapping{Queue: "work", BatchSize: 10, ReportFailures: true})
	rec.wait(t, 2)
	calls := rec.calls()
	if len(calls[0].Records) != 3 {
		t.Fatalf("first batch %d records", len(calls[0].Records))
	}
	again := calls[1].Records
	if len(again) != 1 || again[0].MessageID != failID || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("second batch %+v, want only %s on its second receive", again, failID)
	}
	waitEmpty(t, f, "work")
}

// TestFunctionErrorReachesDeadLetterQueue: a batch whose function fails
// returns after its visibility timeout until the queue's redrive policy
// moves it to the dead-letter queue; nothing is dropped.
func TestFunctionErrorReachesDeadLetterQueue(t *testing.T) {
	rec := newRecorder(func(int, event.SQSEvent) (*fn.Result, error) {
		return &fn.Result{Payload: []byte(`{"errorMessage":"boom"}`), FunctionError: "Unhandled"}, nil
	})
	f := open(t, rec)
	f.queue(t, "dlq", queue.Config{})
	f.queue(t, "work", queue.Config{Visibility: 500 * time.Millisecond, MaxReceives: 2, DeadLetter: "dlq"})
	ids := f.send(t, "work", "poison")
	m := f.mapping(t, Mapping{Queue: "work", BatchSize: 1})
	rec.wait(t, 2) // maxReceiveCount 2: two tries
	got, err := f.qm.Receive(context.Background(), queue.ID{Tenant: "t", Name: "dlq"}, queue.ReceiveOptions{Max: 10, Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != ids[0] || string(got[0].Body) != "poison" {
		t.Fatalf("dead-letter queue holds %+v", got)
	}
	waitEmpty(t, f, "work")
	if n := len(rec.calls()); n != 2 {
		t.Fatalf("%d calls, want 2 (maxReceiveCount)", n)
	}
	if res := f.run.LastResult(&m); res != "PROBLEM: Function call failed" {
		t.Fatalf("LastProcessingResult %q", res)
	}
}

// TestThrottledBatchIsKept: a throttled call returns its batch to the
// queue after a short backoff; it runs once capacity frees.
func TestThrottledBatchIsKept(t *testing.T) {
	rec := newRecorder(func(n int, ev event.SQSEvent) (*fn.Result, error) {
		if n <= 2 {
			return nil, fn.Throttled("ReservedFunctionConcurrentInvocationLimitExceeded", "Rate Exceeded.")
		}
		return succeed(n, ev)
	})
	f := open(t, rec)
	f.queue(t, "work", queue.Config{Visibility: time.Minute})
	f.send(t, "work", "x")
	f.mapping(t, Mapping{Queue: "work"})
	rec.wait(t, 3) // a visibility timeout of a minute: only the backoff brings it back
	calls := rec.calls()
	if c := calls[2].Records; len(c) != 1 || c[0].Body != "x" || c[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("third call %+v", c)
	}
	waitEmpty(t, f, "work")
}

// TestDisableStopsAndEnableResumes: a disabled mapping receives nothing;
// enabled again, it delivers what waited.
func TestDisableStopsAndEnableResumes(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(succeed)
	f := open(t, rec)
	f.queue(t, "work", queue.Config{})
	m := f.mapping(t, Mapping{Queue: "work"})
	f.send(t, "work", "first")
	rec.wait(t, 1)
	m, err := f.ms.Update(ctx, "t", m.UUID, func(m *Mapping) error { m.Enabled = false; return nil })
	if err != nil {
		t.Fatal(err)
	}
	f.waitState(t, f.run, m, StateDisabled)
	f.send(t, "work", "second")
	// The message stays in the queue: this receive gets it.
	got, err := f.qm.Receive(ctx, queue.ID{Tenant: "t", Name: "work"}, queue.ReceiveOptions{Wait: 5 * time.Second})
	if err != nil || len(got) != 1 || string(got[0].Body) != "second" {
		t.Fatalf("received %+v, %v", got, err)
	}
	if err := f.qm.ChangeVisibility(ctx, got[0].Queue, got[0].Handle, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.calls()); n != 1 {
		t.Fatalf("%d calls while disabled", n)
	}
	m, err = f.ms.Update(ctx, "t", m.UUID, func(m *Mapping) error { m.Enabled = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	if c := rec.calls()[1].Records; len(c) != 1 || c[0].Body != "second" {
		t.Fatalf("after enabling: %+v", c)
	}
	f.waitState(t, f.run, m, StateEnabled)
}

// TestMappingFromAnotherNode: a mapping stored through another handle of
// the bucket (as another node's API would) is picked up by the watch, and
// its deletion stops the loop.
func TestMappingFromAnotherNode(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder(succeed)
	f := open(t, rec)
	f.queue(t, "work", queue.Config{})
	other, err := Open(ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := other.Create(ctx, Mapping{Tenant: "t", Queue: "work", Function: "f", BatchSize: 10, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "work", "hello")
	rec.wait(t, 1)
	f.waitState(t, f.run, m, StateEnabled)
	if _, err := other.Delete(ctx, "t", m.UUID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.run.run.Keys()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("loops still running after the delete: %v", f.run.run.Keys())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := f.ms.Get(ctx, "t", m.UUID); !fn.IsNotFound(err) {
		t.Fatalf("get after delete: %v", err)
	}
}

// TestTenantsAreSeparate: another tenant's mapping is not found.
func TestTenantsAreSeparate(t *testing.T) {
	ctx := context.Background()
	f := open(t, newRecorder(succeed))
	m, err := f.ms.Create(ctx, Mapping{Tenant: "t", Queue: "work", Function: "f", BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ms.Get(ctx, "other", m.UUID); !fn.IsNotFound(err) {
		t.Fatalf("another tenant's get: %v", err)
	}
	if l, err := f.ms.List(ctx, "other"); err != nil || len(l) != 0 {
		t.Fatalf("another tenant's list: %v %v", l, err)
	}
	if _, err := f.ms.Delete(ctx, "other", m.UUID); !fn.IsNotFound(err) {
		t.Fatalf("another tenant's delete: %v", err)
	}
	if l, err := f.ms.List(ctx, "t"); err != nil || len(l) != 1 || l[0].UUID != m.UUID {
		t.Fatalf("own list: %v %v", l, err)
	}
}
