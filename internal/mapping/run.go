package mapping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/dispatch"
	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// Config tunes a Runner.
type Config struct {
	// Backoff is how long a batch waits before it is received again after
	// a throttle or platform error, by its receive count (1-based);
	// default 1 s, 2 s, 4 s… capped at 30 s.
	Backoff func(receives int) time.Duration
	Log     *slog.Logger
	// Streams are the table streams stream mappings read; nil: stream
	// mappings do not run on this node.
	Streams Streams
	// Publish sends a stream mapping's failure record to an SNS topic of
	// tenant (an on-failure destination); nil: topics are not served.
	Publish func(ctx context.Context, tenant, topic, dedup string, message []byte) error
}

// Last processing results, as Lambda words them.
const (
	resultNone = "No records processed"
	resultOK   = "OK"
)

// Runner runs the delivery loop of every enabled mapping on this node.
type Runner struct {
	cfg   Config
	store *Store
	q     *queue.Manager
	inv   fn.Invoker
	run   *dispatch.Runner

	mu      sync.Mutex
	applied map[string]applied     // by key(tenant, uuid): what this node runs
	result  map[string]string      // by key: LastProcessingResult
	streams map[string]*streamLoop // by key: stream mappings' loops

	streamResults sync.Map // by key: a stream mapping's LastProcessingResult
	cancel        context.CancelFunc
}

type applied struct {
	rev     uint64
	enabled bool
}

// NewRunner builds a Runner; Start begins watching the mappings.
func NewRunner(s *Store, qm *queue.Manager, inv fn.Invoker, cfg Config) (*Runner, error) {
	if s == nil || qm == nil || inv == nil {
		return nil, errors.New("mapping: no store, queue manager or invoker")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration { return min(time.Second<<min(max(n-1, 0), 5), 30*time.Second) }
	}
	cfg.Log = cfg.Log.With("component", "mapping")
	return &Runner{cfg: cfg, store: s, q: qm, inv: inv, run: dispatch.NewRunner(qm, cfg.Log),
		applied: map[string]applied{}, result: map[string]string{}, streams: map[string]*streamLoop{}}, nil
}

// Start runs a loop for every enabled mapping, and follows every change
// to the mappings (on any node) until Close.
func (r *Runner) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	if err := r.store.Watch(wctx, r.apply); err != nil {
		return err
	}
	return nil
}

// Close stops the loops; batches in flight finish until ctx is done (the
// rest return to their queues after their visibility timeout).
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.cancel != nil {
		r.cancel()
	}
	for k := range r.streams {
		r.stopStream(k)
	}
	r.mu.Unlock()
	return r.run.Close(ctx)
}

// apply starts, replaces or stops a mapping's loop after a change.
func (r *Runner) apply(tenant, uuid string, m *Mapping) {
	k := key(tenant, uuid)
	r.mu.Lock()
	defer r.mu.Unlock()
	if m == nil {
		r.run.Remove(k)
		r.stopStream(k)
		r.streamResults.Delete(k)
		delete(r.applied, k)
		delete(r.result, k)
		return
	}
	if m.Stream != nil {
		r.setStream(k, m)
	} else if m.Enabled {
		mm := *m
		r.run.Set(k, dispatch.Loop{
			Queue: m.QueueID(), Batch: m.BatchSize, Window: m.Window(), Concurrency: m.Concurrency(),
			Handler: func(ctx context.Context, batch []queue.Delivery) []dispatch.Outcome {
				return r.handle(ctx, &mm, batch)
			},
		})
	} else {
		r.run.Remove(k)
	}
	r.applied[k] = applied{rev: m.Revision, enabled: m.Enabled}
	if _, ok := r.result[k]; !ok {
		r.result[k] = resultNone
	}
	r.cfg.Log.Info("event source mapping applied", "tenant", tenant, "uuid", uuid, "queue", m.Queue, "fn", m.Function, "enabled", m.Enabled)
}

// State is m's state on this node: Enabled or Disabled once its latest
// definition is applied here, a transitional state until then.
func (r *Runner) State(m *Mapping) string {
	r.mu.Lock()
	ap, ok := r.applied[key(m.Tenant, m.UUID)]
	r.mu.Unlock()
	switch {
	case ok && ap.rev >= m.Revision && m.Enabled:
		return StateEnabled
	case ok && ap.rev >= m.Revision, !ok && !m.Enabled:
		return StateDisabled
	case !ok:
		return StateCreating
	case m.Enabled && !ap.enabled:
		return StateEnabling
	case !m.Enabled && ap.enabled:
		return StateDisabling
	}
	return StateUpdating
}

// LastResult is the outcome of m's last batch on this node.
func (r *Runner) LastResult(m *Mapping) string {
	if res, ok := r.streamResults.Load(key(m.Tenant, m.UUID)); ok && m.Stream != nil {
		return res.(string)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if res, ok := r.result[key(m.Tenant, m.UUID)]; ok {
		return res
	}
	return resultNone
}

func (r *Runner) setResult(m *Mapping, res string) {
	k := key(m.Tenant, m.UUID)
	r.mu.Lock()
	if _, ok := r.applied[k]; ok {
		r.result[k] = res
	}
	r.mu.Unlock()
}

// handle invokes m's function with one batch and decides every message's
// outcome.
func (r *Runner) handle(ctx context.Context, m *Mapping, batch []queue.Delivery) []dispatch.Outcome {
	out := make([]dispatch.Outcome, len(batch))
	log := r.cfg.Log.With("tenant", m.Tenant, "fn", m.Function, "uuid", m.UUID, "queue", m.Queue)
	payload, ids, err := Event(m, batch, time.Now())
	if err != nil {
		// Not the messages' fault: leave them to their visibility timeout.
		log.Error("shaping the queue event failed; the batch returns after its visibility timeout", "err", err)
		r.setResult(m, "PROBLEM: "+err.Error())
		return out
	}
	res, err := r.inv.Invoke(ctx, &fn.Request{
		RequestID: queue.NewID(), Tenant: m.Tenant, Function: m.Function, Qualifier: m.Qualifier,
		Payload: payload, Async: true,
	})
	if err != nil {
		e := fn.AsError(err)
		if retryable(e) {
			wait := r.cfg.Backoff(maxReceives(batch))
			log.Info("queue batch throttled or failed in the platform, will retry", "messages", len(batch), "in", wait, "err", err)
			for i := range out {
				out[i].Retry = wait
			}
			r.setResult(m, "PROBLEM: "+e.Message)
			return out
		}
		log.Warn("queue batch could not be delivered; it returns after its visibility timeout", "messages", len(batch), "err", err)
		r.setResult(m, "PROBLEM: "+e.Message)
		return out
	}
	r.inv.Finish(res)
	if res.FunctionError != "" {
		log.Info("function failed on a queue batch; it returns after its visibility timeout", "messages", len(batch))
		r.setResult(m, "PROBLEM: Function call failed")
		return out
	}
	failed := map[string]bool{}
	if m.ReportFailures {
		list, perr := event.BatchItemFailures(res.Payload, ids)
		if perr != nil {
			log.Warn("the function's partial batch response is invalid; the whole batch returns after its visibility timeout", "err", perr)
		}
		for _, id := range list {
			failed[id] = true
		}
	}
	for i, d := range batch {
		out[i].Ack = !failed[d.ID]
	}
	r.setResult(m, resultOK)
	return out
}

// retryable: throttles and platform trouble; not a missing function or a
// bad request, which wait for their visibility timeout instead.
func retryable(e *fn.Error) bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status == http.StatusConflict
}

func maxReceives(batch []queue.Delivery) int {
	n := 1
	for _, d := range batch {
		n = max(n, d.Receives)
	}
	return n
}

// Event shapes Lambda's SQS event for a batch of m's queue, received at
// now, and returns it with the batch's message ids.
func Event(m *Mapping, batch []queue.Delivery, now time.Time) ([]byte, []string, error) {
	arn := m.QueueARN()
	ev := event.SQSEvent{Records: make([]event.SQSMessage, len(batch))}
	ids := make([]string, len(batch))
	for i, d := range batch {
		stored, err := event.DecodeSQSStored(d.Attributes)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping: message %s: its attributes: %w", d.ID, err)
		}
		sender := stored.Sender
		if sender == "" {
			sender = fn.AccountID(m.Tenant)
		}
		in := event.SQSRecordInput{
			MessageID: d.ID, ReceiptHandle: d.Handle, Body: string(d.Body),
			Attributes: stored.RecordAttributes(),
			SenderID:   sender,
			SentAt:     d.Sent,
			// The queue does not record a message's first receive: this
			// receive's time stands for it (it is exact on the first).
			FirstReceivedAt: now,
			ReceiveCount:    d.Receives,
			QueueARN:        arn,
			AWSRegion:       fn.Region,
		}
		if th, ok := stored.System["AWSTraceHeader"]; ok && th.StringValue != nil {
			in.AWSTraceHeader = *th.StringValue
		}
		if m.FIFO() {
			in.MessageGroupID = d.Group
			in.MessageDeduplicationID = d.DedupID
			in.SequenceNumber = fmt.Sprintf("%020d", d.Seq)
		}
		ev.Records[i] = event.NewSQSRecord(in)
		ids[i] = d.ID
	}
	payload, err := event.Encode(ev)
	return payload, ids, err
}
