package async

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/updraft-dev/updraft/internal/queue"
)

// Group commit. Every stored message costs one fsync, and one disk does
// only a few thousand of those a second, one after another. So events
// that arrive for the same function while its previous write is on its
// way to disk are stored together, as one message holding several
// events (a batch), and each of their callers is answered when that one
// write is durable. The delivery side runs a batch's events one by one
// (each within the function's concurrency) and settles each on its own:
// a retry or a throttled event is stored again as a message of its own.

// batchMarker marks a message that holds a batch of events.
var batchMarker = []byte("batch")

// Limits of one batch: its events' payloads fit well within one message.
const (
	maxBatchEvents = 256
	maxBatchBytes  = 768 << 10
)

// lane is one function queue's group commit: the batches waiting to be
// written, the last one still gathering events.
type lane struct {
	mu       sync.Mutex
	flushing bool
	waiting  []*pending
}

// pending is a batch: its events and the callers waiting for it.
type pending struct {
	events []*Event
	bytes  int
	done   chan struct{}
	err    error
}

// enqueueGrouped stores ev, possibly in one message with other events of
// its function, and returns when that message is durable.
func (q *Queue) enqueueGrouped(ctx context.Context, id queue.ID, ev *Event) error {
	size := len(ev.Payload) + len(ev.ClientContext) + 256
	if size > maxBatchBytes/2 {
		return q.send(ctx, ev, ev.RequestID, nil) // a large event goes alone
	}
	l := q.lane(id)
	l.mu.Lock()
	var p *pending
	if n := len(l.waiting); n > 0 && len(l.waiting[n-1].events) < maxBatchEvents && l.waiting[n-1].bytes+size <= maxBatchBytes {
		p = l.waiting[n-1]
	} else {
		p = &pending{done: make(chan struct{})}
		l.waiting = append(l.waiting, p)
	}
	p.events = append(p.events, ev)
	p.bytes += size
	start := !l.flushing
	l.flushing = true
	l.mu.Unlock()
	if start {
		go q.flush(id, l)
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		// The write may still succeed and the event run, as after any
		// lost reply; the caller was not told it is stored.
		return ctx.Err()
	}
}

// flush writes the waiting batches one after another until none waits.
func (q *Queue) flush(id queue.ID, l *lane) {
	for {
		l.mu.Lock()
		if len(l.waiting) == 0 {
			l.flushing = false
			l.mu.Unlock()
			return
		}
		p := l.waiting[0]
		l.waiting = l.waiting[1:]
		l.mu.Unlock()
		p.err = q.store(context.Background(), id, p.events)
		close(p.done)
	}
}

// store writes events as one message: a single event as itself, several
// as a batch.
func (q *Queue) store(ctx context.Context, id queue.ID, events []*Event) error {
	if len(events) == 1 {
		return q.send(ctx, events[0], events[0].RequestID, nil)
	}
	data, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("async: encode events: %w", err)
	}
	return q.sendMessage(ctx, id, queue.Message{ID: events[0].RequestID, Body: data, Attributes: batchMarker})
}

func (q *Queue) lane(id queue.ID) *lane {
	if l, ok := q.lanes.Load(id); ok {
		return l.(*lane)
	}
	l, _ := q.lanes.LoadOrStore(id, &lane{})
	return l.(*lane)
}
