package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/queue"
)

// Outcome is a handler's decision for one delivery.
type Outcome struct {
	// Ack deletes the message: it was handled (or moved elsewhere).
	Ack bool
	// Retry makes it visible again after this long (when not Ack).
	// Zero with Ack false leaves it to its visibility timeout.
	Retry time.Duration
}

// Handler handles one batch and decides each message's outcome; outcomes
// are in the order of the batch. ctx ends when the runner closes.
type Handler func(ctx context.Context, batch []queue.Delivery) []Outcome

// Loop is one queue's delivery loop.
type Loop struct {
	Queue queue.ID
	// Batch is the most messages per handler call (default 1).
	Batch int
	// Window is how long to wait for a batch to fill once its first
	// message arrived (0: hand over what is there).
	Window time.Duration
	// Concurrency is the most batches in flight (default 1).
	Concurrency int
	// Lease > 0 extends every message's visibility each Lease while its
	// batch is handled, so the queue's visibility timeout can stay short
	// (a crash returns the message quickly) while calls run long.
	Lease   time.Duration
	Handler Handler
}

// Runner runs loops by key.
type Runner struct {
	q   *queue.Manager
	log *slog.Logger

	mu     sync.Mutex
	loops  map[string]*running
	closed bool
	// work is cancelled by Close after its grace: handlers stop then.
	work   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type running struct {
	loop Loop
	stop context.CancelFunc
	done chan struct{}
}

// NewRunner returns a Runner over the queues of q.
func NewRunner(q *queue.Manager, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	work, cancel := context.WithCancel(context.Background())
	return &Runner{q: q, log: log.With("component", "dispatch"), loops: make(map[string]*running), work: work, cancel: cancel}
}

// Set starts the loop under key, or replaces the one running there (its
// batches in flight finish).
func (r *Runner) Set(key string, l Loop) {
	if l.Batch <= 0 {
		l.Batch = 1
	}
	if l.Concurrency <= 0 {
		l.Concurrency = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if old, ok := r.loops[key]; ok {
		old.stop()
	}
	ctx, stop := context.WithCancel(r.work)
	run := &running{loop: l, stop: stop, done: make(chan struct{})}
	r.loops[key] = run
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(run.done)
		r.poll(ctx, run.loop)
	}()
}

// Remove stops the loop under key; its batches in flight finish.
func (r *Runner) Remove(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.loops[key]; ok {
		old.stop()
		delete(r.loops, key)
	}
}

// Keys lists the running loops.
func (r *Runner) Keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.loops))
	for k := range r.loops {
		out = append(out, k)
	}
	return out
}

// Close stops receiving, lets batches in flight finish until ctx is done,
// then cancels them (their messages return after their visibility
// timeout).
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	for k, l := range r.loops {
		l.stop()
		delete(r.loops, k)
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
	}
	r.cancel()
	return nil
}

// pollWait is one long poll; a loop with nothing to do costs one pending
// pull request per queue.
const pollWait = 20 * time.Second

// poll receives batches while slots are free and hands each to its own
// goroutine. Stopping ctx stops receiving; batches in flight finish with
// the runner's work context.
func (r *Runner) poll(ctx context.Context, l Loop) {
	log := r.log.With("queue", l.Queue.String())
	slots := make(chan struct{}, l.Concurrency)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	backoff := time.Duration(0)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		batch, err := r.receive(ctx, l)
		if ctx.Err() != nil {
			<-slots
			r.release(batch, l, log) // received as it stopped: hand back
			return
		}
		if err != nil {
			<-slots
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			log.Error("receiving from the queue failed; retrying", "err", err, "in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		if len(batch) == 0 {
			<-slots
			continue
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer func() { <-slots }()
			r.handle(l, batch, log)
		}()
	}
}

// receive takes up to l.Batch messages: the first within pollWait, then
// more until the batch is full or l.Window has passed since the first.
func (r *Runner) receive(ctx context.Context, l Loop) ([]queue.Delivery, error) {
	batch, err := r.q.Receive(ctx, l.Queue, queue.ReceiveOptions{Max: l.Batch, Wait: pollWait})
	if err != nil || len(batch) == 0 || len(batch) >= l.Batch || l.Window <= 0 {
		return batch, err
	}
	deadline := time.Now().Add(l.Window)
	for len(batch) < l.Batch {
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		more, err := r.q.Receive(ctx, l.Queue, queue.ReceiveOptions{Max: l.Batch - len(batch), Wait: wait})
		batch = append(batch, more...)
		if err != nil || ctx.Err() != nil {
			break // hand over what is leased; the next receive reports a lasting error
		}
	}
	return batch, nil
}

// handle runs the handler with lease extension and settles the outcomes.
func (r *Runner) handle(l Loop, batch []queue.Delivery, log *slog.Logger) {
	ctx := r.work
	if l.Lease > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		go r.extend(ctx, l, batch, log)
	}
	outcomes := l.Handler(ctx, batch)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for i, d := range batch {
		var o Outcome
		if i < len(outcomes) {
			o = outcomes[i]
		}
		var err error
		switch {
		case o.Ack:
			err = r.q.Ack(sctx, l.Queue, d.Handle)
		case o.Retry > 0:
			err = r.q.ChangeVisibility(sctx, l.Queue, d.Handle, o.Retry)
		default:
			continue // back after its visibility timeout
		}
		if err != nil {
			log.Error("settling a message failed; it returns after its visibility timeout", "message_id", d.ID, "ack", o.Ack, "err", err)
		}
	}
}

// extend keeps a batch's messages leased while it is handled.
func (r *Runner) extend(ctx context.Context, l Loop, batch []queue.Delivery, log *slog.Logger) {
	t := time.NewTicker(l.Lease)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, d := range batch {
			if err := r.q.Extend(ctx, l.Queue, d.Handle); err != nil && ctx.Err() == nil {
				log.Warn("extending a message's lease failed; it may be delivered again while it runs", "message_id", d.ID, "err", err)
			}
		}
	}
}

// release makes messages received during a stop visible again at once.
func (r *Runner) release(batch []queue.Delivery, l Loop, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, d := range batch {
		if err := r.q.ChangeVisibility(ctx, l.Queue, d.Handle, 0); err != nil {
			log.Warn("handing back a message failed; it returns after its visibility timeout", "message_id", d.ID, "err", err)
		}
	}
}
