package async

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/dispatch"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
)

// QueuePrefix names each function's queue of asynchronous invocations:
// "lambda-async:FUNCTION" in the function's tenant.
const QueuePrefix = "lambda-async:"

// Defaults, Lambda's where Lambda has one.
const (
	DefaultMaxAttempts = 3             // the first try and 2 retries
	DefaultMaxAge      = 6 * time.Hour // MaximumEventAgeInSeconds 21600
	// DefaultConcurrency is the most events of one function running at
	// once on a node; beyond the function's own limits the scheduler
	// throttles, and a throttled event waits without spending attempts.
	DefaultConcurrency = 100
	// visibility is the lease of an event: a crash returns it this soon.
	// Events that run longer keep their lease by extension (leaseEvery).
	visibility = 30 * time.Second
	leaseEvery = 10 * time.Second
	// maxPlatformBackoff caps the wait between retries of a throttled event.
	maxPlatformBackoff = time.Minute
)

// Config tunes the queue. Zero values take the defaults.
type Config struct {
	Concurrency int
	MaxAttempts int
	MaxAge      time.Duration
	// Backoff is the wait before retry n (1-based); default 1 s, 2 s, 4 s…
	// capped at 1 minute.
	Backoff func(n int) time.Duration
	// Health says whether the store takes writes (nil: yes); while it does
	// not, Enqueue refuses at once with its reason. nil: always.
	Health func() error
	// EventConfig returns a function qualifier's asynchronous-invocation
	// settings (nil: Lambda's defaults, or MaxAttempts and MaxAge here).
	EventConfig func(ctx context.Context, tenant, function, qualifier string) (*fn.EventInvokeConfig, error)
	// Function looks a function up for its dead-letter target.
	Function func(ctx context.Context, tenant, name string) (*fn.Function, error)
	// Publish sends a record to a topic of tenant (nil: topics are not
	// served, and delivery to one fails).
	Publish func(ctx context.Context, tenant, topic, dedup string, message []byte) error
	Log     *slog.Logger
}

// Event is one stored asynchronous invocation.
type Event struct {
	RequestID     string          `json:"request_id"`
	Tenant        string          `json:"tenant"`
	Function      string          `json:"function"`
	Qualifier     string          `json:"qualifier,omitempty"`
	Payload       json.RawMessage `json:"payload"`
	ClientContext string          `json:"client_context,omitempty"`
	TraceID       string          `json:"trace_id,omitempty"`
	Enqueued      time.Time       `json:"enqueued"`
	// Attempts counts the invocations that ran and failed; throttles and
	// platform failures are not counted.
	Attempts int `json:"attempts,omitempty"`
}

// Queue stores events in each function's durable queue and runs them.
type Queue struct {
	cfg    Config
	q      *queue.Manager
	st     *store.Store
	inv    fn.Invoker
	run    *dispatch.Runner
	known  sync.Map // queue.ID → struct{}: queues this node made or saw
	lanes  sync.Map // queue.ID → *lane: group commit (ingest.go)
	sem    sync.Map // queue.ID → chan struct{}: slots of batched events
	cancel context.CancelFunc
}

// New builds the queue over the queue manager; Start begins running
// events. st is the store of the stream an older version kept events in.
func New(ctx context.Context, st *store.Store, qm *queue.Manager, inv fn.Invoker, cfg Config) (*Queue, error) {
	if qm == nil || inv == nil {
		return nil, errors.New("async: no queue manager or invoker")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration { return min(time.Second<<(n-1), time.Minute) }
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "async")
	return &Queue{cfg: cfg, q: qm, st: st, inv: inv, run: dispatch.NewRunner(qm, cfg.Log)}, nil
}

// QueueOf is the queue holding a function's asynchronous invocations.
func QueueOf(tenant, function string) queue.ID {
	return queue.ID{Tenant: tenant, Name: QueuePrefix + function}
}

// Enqueue stores ev durably; when it returns nil the event will run at
// least once. The request id de-duplicates a retried Enqueue within five
// minutes.
func (q *Queue) Enqueue(ctx context.Context, ev *Event) error {
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
	return q.enqueueGrouped(ctx, QueueOf(ev.Tenant, ev.Function), ev)
}

// send stores ev alone in its function's queue under dedup, after delay.
func (q *Queue) send(ctx context.Context, ev *Event, dedup string, delay *time.Duration) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("async: encode event: %w", err)
	}
	return q.sendMessage(ctx, QueueOf(ev.Tenant, ev.Function), queue.Message{ID: ev.RequestID, DedupID: dedup, Body: data, Delay: delay})
}

// sendMessage stores msg in the function queue id, making the queue when
// needed.
func (q *Queue) sendMessage(ctx context.Context, id queue.ID, msg queue.Message) error {
	if err := q.ensure(ctx, id); err != nil {
		return err
	}
	_, err := q.q.Send(ctx, id, msg)
	if errors.Is(err, queue.ErrNotFound) {
		// Deleted meanwhile (the function was): make it again, once.
		q.known.Delete(id)
		if err := q.ensure(ctx, id); err != nil {
			return err
		}
		_, err = q.q.Send(ctx, id, msg)
	}
	if err != nil {
		var fe *fn.Error
		if errors.As(err, &fe) {
			return err
		}
		return &fn.Error{Status: http.StatusServiceUnavailable, Type: fn.TypeServiceUnavailable,
			Message: "the event could not be stored, so it was not accepted: retry", Err: err}
	}
	return nil
}

// ensure makes the function's queue unless this node knows it exists.
func (q *Queue) ensure(ctx context.Context, id queue.ID) error {
	if _, ok := q.known.Load(id); ok {
		return nil
	}
	retention := min(q.cfg.MaxAge+time.Hour, queue.MaxRetention)
	_, err := q.q.Create(ctx, id, queue.Config{Visibility: visibility, Retention: retention})
	if errors.Is(err, queue.ErrExists) {
		err = nil // made with other defaults by another version: use it
	}
	if err != nil {
		return &fn.Error{Status: http.StatusServiceUnavailable, Type: fn.TypeServiceUnavailable,
			Message: "the function's event queue could not be made, so the event was not accepted: retry", Err: err}
	}
	q.known.Store(id, struct{}{})
	return nil
}

// Start runs a loop for every function's queue, those made later (on any
// node) included, and moves events an older version stored in its single
// stream into the functions' queues.
func (q *Queue) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	err := q.q.Watch(wctx, QueuePrefix, func(id queue.ID, cfg *queue.Config) {
		key := id.String()
		if cfg == nil {
			q.known.Delete(id)
			q.run.Remove(key)
			return
		}
		q.known.Store(id, struct{}{})
		q.run.Set(key, dispatch.Loop{
			Queue: id, Batch: 1, Concurrency: q.cfg.Concurrency, Lease: leaseEvery,
			Handler: q.handle,
		})
	})
	if err != nil {
		return fmt.Errorf("async: %w", err)
	}
	return q.migrate(ctx)
}

// DeleteFunction removes a deleted function's queues: its pending events
// and its failed ones.
func (q *Queue) DeleteFunction(ctx context.Context, tenant, function string) error {
	id := QueueOf(tenant, function)
	q.known.Delete(id)
	for _, id := range []queue.ID{id, {Tenant: tenant, Name: FailedPrefix + function}} {
		if err := q.q.Delete(ctx, id); err != nil && !errors.Is(err, queue.ErrNotFound) {
			return fmt.Errorf("async: %w", err)
		}
	}
	return nil
}

// Close stops taking events and waits for the running ones until ctx is
// done; events not finished are delivered again after a restart.
func (q *Queue) Close(ctx context.Context) error {
	if q.cancel != nil {
		q.cancel()
	}
	return q.run.Close(ctx)
}
