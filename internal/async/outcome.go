package async

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// FailedPrefix names each function's queue of failed events, kept when an
// event failed for good and had no destination or dead-letter target to
// go to (or going there failed): "lambda-failed:FUNCTION". Nothing runs
// them; `updraft events failed` shows them.
const FailedPrefix = "lambda-failed:"

// failedRetention keeps failed events as long as a queue keeps anything.
const failedRetention = queue.MaxRetention

// Failed is one event that failed for good.
type Failed struct {
	RequestID   string          `json:"request_id"`
	Function    string          `json:"function"`
	Qualifier   string          `json:"qualifier,omitempty"`
	Condition   string          `json:"condition"` // RetriesExhausted or EventAgeExceeded
	Attempts    int             `json:"attempts"`
	Enqueued    time.Time       `json:"enqueued"`
	FailedAt    time.Time       `json:"failed_at"`
	Payload     json.RawMessage `json:"payload"`
	Error       json.RawMessage `json:"error,omitempty"` // the last attempt's function error
	Destination string          `json:"destination,omitempty"`
	// Why says why the event is here and not at its destination.
	Why string `json:"why"`
}

// FailedEvents returns up to max of the function's failed events, oldest
// first.
func (q *Queue) FailedEvents(ctx context.Context, tenant, function string, max int) ([]Failed, error) {
	ds, err := q.q.Browse(ctx, queue.ID{Tenant: tenant, Name: FailedPrefix + function}, max)
	if errors.Is(err, queue.ErrNotFound) {
		return []Failed{}, nil
	} else if err != nil {
		return nil, err
	}
	out := make([]Failed, 0, len(ds))
	for _, d := range ds {
		var f Failed
		if err := json.Unmarshal(d.Body, &f); err != nil {
			return nil, fmt.Errorf("async: a failed event of %s: %w", function, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// succeeded sends the success record to the on-success destination, if
// any. A record that cannot be delivered is logged: the event itself ran.
func (q *Queue) succeeded(ctx context.Context, ev *Event, ec *fn.EventInvokeConfig, res *fn.Result) {
	if ec == nil || ec.OnSuccess == "" {
		return
	}
	rec := q.record(ev, event.ConditionSuccess, res)
	if err := q.deliver(ctx, ev.Tenant, ec.OnSuccess, ev.RequestID+"/success", rec); err != nil {
		q.cfg.Log.Error("delivering a success record failed", "tenant", ev.Tenant, "fn", ev.Function,
			"request_id", ev.RequestID, "destination", ec.OnSuccess, "err", err)
	}
}

// failed sends a failed event where it belongs: the on-failure
// destination's record, else the original event to the function's
// dead-letter target, else (or when that fails) the function's failed
// events. It returns an error only when the event could be stored
// nowhere; the caller then keeps it.
func (q *Queue) failed(ctx context.Context, ev *Event, ec *fn.EventInvokeConfig, condition string, res *fn.Result) error {
	f := Failed{
		RequestID: ev.RequestID, Function: ev.Function, Qualifier: ev.Qualifier, Condition: condition,
		Attempts: ev.Attempts, Enqueued: ev.Enqueued, FailedAt: time.Now().UTC(), Payload: ev.Payload,
	}
	if res != nil && res.FunctionError != "" {
		f.Error = json.RawMessage(res.Payload)
	}
	var err error
	switch {
	case ec != nil && ec.OnFailure != "":
		f.Destination = ec.OnFailure
		if err = q.deliver(ctx, ev.Tenant, ec.OnFailure, ev.RequestID+"/failure", q.record(ev, condition, res)); err == nil {
			return nil
		}
	default:
		dlq, lerr := q.deadLetter(ctx, ev)
		if lerr != nil {
			err = lerr
			break
		}
		if dlq == "" {
			f.Why = "no on-failure destination or dead-letter queue is configured"
			return q.keepFailed(ctx, ev.Tenant, f)
		}
		f.Destination = dlq
		if err = q.deliver(ctx, ev.Tenant, dlq, ev.RequestID+"/dlq", ev.Payload); err == nil {
			return nil
		}
	}
	f.Why = "delivery to " + f.Destination + " failed: " + err.Error()
	q.cfg.Log.Error("delivering a failed event failed; it is kept with the function's failed events", "tenant", ev.Tenant,
		"fn", ev.Function, "request_id", ev.RequestID, "destination", f.Destination, "err", err)
	return q.keepFailed(ctx, ev.Tenant, f)
}

// deadLetter is the function's dead-letter target ("" for none).
func (q *Queue) deadLetter(ctx context.Context, ev *Event) (string, error) {
	if q.cfg.Function == nil {
		return "", nil
	}
	f, err := q.cfg.Function(ctx, ev.Tenant, ev.Function)
	if fn.IsNotFound(err) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return f.DeadLetterARN, nil
}

func (q *Queue) keepFailed(ctx context.Context, tenant string, f Failed) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("async: encode failed event: %w", err)
	}
	id := queue.ID{Tenant: tenant, Name: FailedPrefix + f.Function}
	if _, err := q.q.Create(ctx, id, queue.Config{Retention: failedRetention}); err != nil && !errors.Is(err, queue.ErrExists) {
		return err
	}
	_, err = q.q.Send(ctx, id, queue.Message{ID: f.RequestID, DedupID: f.RequestID + "/" + f.Condition, Body: data})
	return err
}

// record is Lambda's destination record of ev's outcome.
func (q *Queue) record(ev *Event, condition string, res *fn.Result) []byte {
	in := event.DestinationInput{
		RequestID: ev.RequestID, Condition: condition, InvokeCount: ev.Attempts,
		At: time.Now().UTC(), Request: ev.Payload,
		FunctionARN: fn.ARN(ev.Tenant, ev.Function, fn.LatestVersion),
	}
	if res != nil {
		version := res.ExecutedVersion
		if version == "" {
			version = fn.LatestVersion
		}
		in.FunctionARN = fn.ARN(ev.Tenant, ev.Function, version)
		in.Response = &event.DestinationResponse{StatusCode: http.StatusOK, ExecutedVersion: version,
			FunctionError: res.FunctionError, Payload: res.Payload}
	}
	data, err := event.Encode(event.NewDestinationRecord(in))
	if err != nil {
		return []byte(`{}`) // unreachable: the record is plain data
	}
	return data
}

// deliver stores body at the destination arn of tenant; dedup makes a
// repeated delivery (after a crash) store it once.
func (q *Queue) deliver(ctx context.Context, tenant, arn, dedup string, body []byte) error {
	d, err := fn.ParseDestination(tenant, arn)
	if err != nil {
		return err
	}
	switch d.Kind {
	case fn.DestinationQueue:
		_, err = q.q.Send(ctx, queue.ID{Tenant: tenant, Name: d.Name}, queue.Message{DedupID: dedup, Body: body})
		return err
	case fn.DestinationTopic:
		if q.cfg.Publish == nil {
			return errors.New("topics are not served here")
		}
		return q.cfg.Publish(ctx, tenant, d.Name, dedup, body)
	case fn.DestinationFunction:
		return q.Enqueue(ctx, &Event{RequestID: dedup, Tenant: tenant, Function: d.Name, Qualifier: d.Qualifier, Payload: body})
	}
	return fmt.Errorf("async: %s is not a destination", arn)
}
