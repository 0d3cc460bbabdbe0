package async

import (
	"context"
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// EnqueueOnce stores ev durably as a message of its own, de-duplicated by
// its request id: a producer that enqueues the same event again after a
// crash (a schedule's tick, whose id derives from the tick) has it stored
// once within the queue's de-duplication window. Enqueue may store
// several events in one message, where only the first one's id counts.
func (q *Queue) EnqueueOnce(ctx context.Context, ev *Event) error {
	if len(ev.Payload) > fn.MaxAsyncPayload {
		return fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge,
			"Request must be smaller than %d bytes for an asynchronous invocation", fn.MaxAsyncPayload)
	}
	if ev.Enqueued.IsZero() {
		ev.Enqueued = time.Now().UTC()
	}
	if q.cfg.Health != nil {
		if err := q.cfg.Health(); err != nil {
			return err
		}
	}
	return q.send(ctx, ev, ev.RequestID, nil)
}
