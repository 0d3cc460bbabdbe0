package async

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/dispatch"
	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// handle runs one message (the loop's batches are of one): an event, or
// a batch of events stored together (ingest.go).
func (q *Queue) handle(ctx context.Context, batch []queue.Delivery) []dispatch.Outcome {
	out := make([]dispatch.Outcome, len(batch))
	for i, d := range batch {
		if bytes.Equal(d.Attributes, batchMarker) {
			out[i] = q.runBatch(ctx, d)
			continue
		}
		var ev Event
		if err := json.Unmarshal(d.Body, &ev); err != nil {
			q.cfg.Log.Error("dropping an undecodable event", "queue", d.Queue.String(), "message_id", d.ID, "err", err)
			out[i] = dispatch.Outcome{Ack: true}
			continue
		}
		out[i] = q.runEvent(ctx, &ev, d.Receives)
	}
	return out
}

// runBatch runs a batch's events at once (each holding one of the
// function's slots) and settles each on its own: one that must wait is
// stored again as a message of its own. Only when that fails does the
// whole batch come back (its events that ran then run again: at least
// once).
func (q *Queue) runBatch(ctx context.Context, d queue.Delivery) dispatch.Outcome {
	var events []*Event
	if err := json.Unmarshal(d.Body, &events); err != nil {
		q.cfg.Log.Error("dropping an undecodable batch of events", "queue", d.Queue.String(), "message_id", d.ID, "err", err)
		return dispatch.Outcome{Ack: true}
	}
	slots := q.slots(d.Queue)
	outs := make([]dispatch.Outcome, len(events))
	var wg sync.WaitGroup
	for i, ev := range events {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			outs[i] = q.runEvent(ctx, ev, d.Receives)
		}()
	}
	wg.Wait()
	for i, o := range outs {
		if o.Ack {
			continue
		}
		ev := events[i]
		delay := o.Retry
		if err := q.send(ctx, ev, ev.RequestID+"#"+strconv.Itoa(d.Receives)+"w", &delay); err != nil {
			q.cfg.Log.Error("storing an event of a batch to run later failed; the whole batch comes back", "queue", d.Queue.String(), "request_id", ev.RequestID, "err", err)
			return dispatch.Outcome{Retry: min(q.cfg.Backoff(d.Receives), maxPlatformBackoff)}
		}
	}
	return dispatch.Outcome{Ack: true}
}

// slots bounds the events of one function running at once from batches.
func (q *Queue) slots(id queue.ID) chan struct{} {
	if s, ok := q.sem.Load(id); ok {
		return s.(chan struct{})
	}
	s, _ := q.sem.LoadOrStore(id, make(chan struct{}, q.cfg.Concurrency))
	return s.(chan struct{})
}

// runEvent runs one event and decides its outcome; receives counts its
// message's deliveries (the backoff of a throttled event grows with it).
func (q *Queue) runEvent(ctx context.Context, evp *Event, receives int) dispatch.Outcome {
	ev := *evp
	log := q.cfg.Log.With("tenant", ev.Tenant, "fn", ev.Function, "request_id", ev.RequestID)
	ec, err := q.eventConfig(ctx, &ev)
	if err != nil {
		log.Error("reading the function's asynchronous settings failed; the event waits", "err", err)
		return dispatch.Outcome{Retry: min(q.cfg.Backoff(receives), maxPlatformBackoff)}
	}
	if age := time.Since(ev.Enqueued); age > q.maxAge(ec) {
		log.Warn("an event is older than its maximum age: it fails without running", "age", age)
		return q.giveUp(ctx, &ev, ec, event.ConditionEventAgeExceeded, nil, receives, log)
	}
	res, err := q.inv.Invoke(ctx, &fn.Request{
		RequestID: ev.RequestID, Tenant: ev.Tenant, Function: ev.Function, Qualifier: ev.Qualifier,
		Payload: ev.Payload, TraceID: ev.TraceID, ClientContext: ev.ClientContext,
		Async: true,
	})
	switch {
	case err == nil:
		q.inv.Finish(res)
		ev.Attempts++
		if res.FunctionError == "" {
			q.succeeded(ctx, &ev, ec, res)
			return dispatch.Outcome{Ack: true}
		}
	case retryable(err):
		// Throttles and platform trouble are not the function's failures:
		// like Lambda, retry them until the event's maximum age, without
		// spending its retry attempts.
		log.Info("async invocation throttled or failed in the platform, will retry", "receives", receives, "err", err)
		return dispatch.Outcome{Retry: min(q.cfg.Backoff(receives), maxPlatformBackoff)}
	default:
		log.Warn("dropping an event that cannot run", "err", err)
		return dispatch.Outcome{Ack: true}
	}
	if ev.Attempts >= q.attempts(ec) {
		log.Warn("an event failed its last attempt", "attempts", ev.Attempts, "last_error", string(res.Payload))
		return q.giveUp(ctx, &ev, ec, event.ConditionRetriesExhausted, res, receives, log)
	}
	// The retry is a new message carrying the attempt count, stored (after
	// its backoff) before this one is acknowledged: a crash in between
	// stores it twice under one de-duplication id, that is once.
	delay := q.cfg.Backoff(ev.Attempts)
	if err := q.send(ctx, &ev, retryDedup(ev), &delay); err != nil {
		log.Error("storing the retry of a failed event failed; the event runs again after its visibility timeout", "err", err)
		return dispatch.Outcome{}
	}
	log.Info("async invocation failed, will retry", "attempt", ev.Attempts, "in", delay)
	return dispatch.Outcome{Ack: true}
}

// giveUp sends a failed event on (failed) and acknowledges it; when it
// could be stored nowhere it stays in the queue and is tried again.
func (q *Queue) giveUp(ctx context.Context, ev *Event, ec *fn.EventInvokeConfig, condition string, res *fn.Result, receives int, log *slog.Logger) dispatch.Outcome {
	if err := q.failed(ctx, ev, ec, condition, res); err != nil {
		log.Error("a failed event could not be stored anywhere; it stays queued", "err", err)
		return dispatch.Outcome{Retry: min(q.cfg.Backoff(receives), maxPlatformBackoff)}
	}
	return dispatch.Outcome{Ack: true}
}

func (q *Queue) eventConfig(ctx context.Context, ev *Event) (*fn.EventInvokeConfig, error) {
	if q.cfg.EventConfig == nil {
		return nil, nil
	}
	return q.cfg.EventConfig(ctx, ev.Tenant, ev.Function, ev.Qualifier)
}

// attempts and maxAge: the function's settings, else the queue's.
func (q *Queue) attempts(ec *fn.EventInvokeConfig) int {
	if ec != nil && ec.MaxRetryAttempts != nil {
		return ec.Attempts()
	}
	return q.cfg.MaxAttempts
}

func (q *Queue) maxAge(ec *fn.EventInvokeConfig) time.Duration {
	if ec != nil && ec.MaxEventAgeSec != nil {
		return ec.MaxAge()
	}
	return q.cfg.MaxAge
}

func retryDedup(ev Event) string {
	return ev.RequestID + "#" + itoa(ev.Attempts)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// retryable: throttling and platform trouble are retried; a function that
// does not exist (any more) or a bad request is not.
func retryable(err error) bool {
	e := fn.AsError(err)
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status == http.StatusConflict
}
