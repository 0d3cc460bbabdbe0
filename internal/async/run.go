package async

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/dispatch"
	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// handle runs one event (batches are of one) and decides its outcome.
func (q *Queue) handle(ctx context.Context, batch []queue.Delivery) []dispatch.Outcome {
	out := make([]dispatch.Outcome, len(batch))
	for i, d := range batch {
		out[i] = q.runOne(ctx, d)
	}
	return out
}

func (q *Queue) runOne(ctx context.Context, d queue.Delivery) dispatch.Outcome {
	var ev Event
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		q.cfg.Log.Error("dropping an undecodable event", "queue", d.Queue.String(), "message_id", d.ID, "err", err)
		return dispatch.Outcome{Ack: true}
	}
	log := q.cfg.Log.With("tenant", ev.Tenant, "fn", ev.Function, "request_id", ev.RequestID)
	ec, err := q.eventConfig(ctx, &ev)
	if err != nil {
		log.Error("reading the function's asynchronous settings failed; the event waits", "err", err)
		return dispatch.Outcome{Retry: min(q.cfg.Backoff(d.Receives), maxPlatformBackoff)}
	}
	if age := time.Since(ev.Enqueued); age > q.maxAge(ec) {
		log.Warn("an event is older than its maximum age: it fails without running", "age", age)
		return q.giveUp(ctx, &ev, ec, event.ConditionEventAgeExceeded, nil, d, log)
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
		log.Info("async invocation throttled or failed in the platform, will retry", "receives", d.Receives, "err", err)
		return dispatch.Outcome{Retry: min(q.cfg.Backoff(d.Receives), maxPlatformBackoff)}
	default:
		log.Warn("dropping an event that cannot run", "err", err)
		return dispatch.Outcome{Ack: true}
	}
	if ev.Attempts >= q.attempts(ec) {
		log.Warn("an event failed its last attempt", "attempts", ev.Attempts, "last_error", string(res.Payload))
		return q.giveUp(ctx, &ev, ec, event.ConditionRetriesExhausted, res, d, log)
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
func (q *Queue) giveUp(ctx context.Context, ev *Event, ec *fn.EventInvokeConfig, condition string, res *fn.Result, d queue.Delivery, log *slog.Logger) dispatch.Outcome {
	if err := q.failed(ctx, ev, ec, condition, res); err != nil {
		log.Error("a failed event could not be stored anywhere; it stays queued", "err", err)
		return dispatch.Outcome{Retry: min(q.cfg.Backoff(d.Receives), maxPlatformBackoff)}
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
