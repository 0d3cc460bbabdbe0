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

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// StreamName is the JetStream stream of pending asynchronous invocations.
const StreamName = "ASYNC"

const (
	subjectPrefix = "async."
	consumerName  = "async-worker"
)

// Defaults, Lambda's where Lambda has one.
const (
	DefaultMaxAttempts = 3                // the first try and 2 retries
	DefaultMaxAge      = 6 * time.Hour    // MaximumEventAgeInSeconds 21600
	DefaultWorkers     = 4                // concurrent async invocations per node
	ackWait            = 16 * time.Minute // beyond the longest timeout (900 s)
)

// Config tunes the queue. Zero values take the defaults.
type Config struct {
	Workers     int
	MaxAttempts int
	MaxAge      time.Duration
	// Backoff is the wait before retry n (1-based); default 1 s, 2 s, 4 s…
	// capped at 1 minute.
	Backoff func(n int) time.Duration
	// Health says whether the store takes writes (nil: yes); while it does
	// not, Enqueue refuses at once with its reason. nil: always.
	Health func() error
	Log    *slog.Logger
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
}

// Queue stores events and runs them.
type Queue struct {
	cfg    Config
	js     jetstream.JetStream
	stream jetstream.Stream
	inv    fn.Invoker

	cc      jetstream.ConsumeContext
	sem     chan struct{}
	mu      sync.Mutex // guards closed against wg.Add after Close's Wait
	closed  bool
	wg      sync.WaitGroup
	ctx     context.Context // for invocations; cancelled by Close after its grace
	cancel  context.CancelFunc
	started bool
}

// New opens (or creates) the stream; Start begins consuming.
func New(ctx context.Context, st *store.Store, inv fn.Invoker, cfg Config) (*Queue, error) {
	if st == nil || inv == nil {
		return nil, errors.New("async: no store or invoker")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
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
	s, err := st.Stream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "asynchronous invocations waiting to run",
		Subjects:    []string{subjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		MaxAge:      cfg.MaxAge,
		MaxMsgSize:  int32(fn.MaxAsyncPayload + 64<<10),
		Duplicates:  2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("async: %w", err)
	}
	qctx, cancel := context.WithCancel(context.Background())
	return &Queue{cfg: cfg, js: st.JetStream(), stream: s, inv: inv, sem: make(chan struct{}, cfg.Workers), ctx: qctx, cancel: cancel}, nil
}

// Enqueue stores ev durably; when it returns nil the event will run at
// least once. The request id de-duplicates a retried Enqueue within two
// minutes.
func (q *Queue) Enqueue(ctx context.Context, ev *Event) error {
	if len(ev.Payload) > fn.MaxAsyncPayload {
		return fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge,
			"Request must be smaller than %d bytes for an asynchronous invocation", fn.MaxAsyncPayload)
	}
	if ev.Enqueued.IsZero() {
		ev.Enqueued = time.Now().UTC()
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("async: encode event: %w", err)
	}
	if q.cfg.Health != nil {
		if err := q.cfg.Health(); err != nil {
			return err
		}
	}
	subj := subjectPrefix + ev.Tenant + "." + ev.Function
	if _, err := q.js.Publish(ctx, subj, data, jetstream.WithMsgID(ev.RequestID)); err != nil {
		return &fn.Error{Status: http.StatusServiceUnavailable, Type: fn.TypeServiceUnavailable,
			Message: "the event could not be stored, so it was not accepted: retry", Err: err}
	}
	return nil
}

// Start consumes the stream with a durable consumer, so events stored
// before a restart run after it.
func (q *Queue) Start(ctx context.Context) error {
	cons, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1, // attempts are counted here, against MaxAttempts
		MaxAckPending: q.cfg.Workers,
	})
	if err != nil {
		return fmt.Errorf("async: consumer: %w", err)
	}
	cc, err := cons.Consume(q.handle, jetstream.PullMaxMessages(q.cfg.Workers))
	if err != nil {
		return fmt.Errorf("async: consume: %w", err)
	}
	q.cc, q.started = cc, true
	return nil
}

// handle runs on the consumer's delivery goroutine: it waits for a free
// worker slot (back-pressure) and runs the event on its own goroutine.
func (q *Queue) handle(msg jetstream.Msg) {
	select {
	case q.sem <- struct{}{}:
	case <-q.ctx.Done():
		return // not acked: redelivered after a restart
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		<-q.sem
		return
	}
	q.wg.Add(1)
	q.mu.Unlock()
	go func() {
		defer q.wg.Done()
		defer func() { <-q.sem }()
		q.run(msg)
	}()
}

// run invokes one event and settles its message.
func (q *Queue) run(msg jetstream.Msg) {
	var ev Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		q.cfg.Log.Error("dropping an undecodable event", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	log := q.cfg.Log.With("tenant", ev.Tenant, "fn", ev.Function, "request_id", ev.RequestID)
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	if age := time.Since(ev.Enqueued); age > q.cfg.MaxAge {
		log.Warn("dropping an event older than the maximum event age", "age", age)
		_ = msg.Term()
		return
	}
	res, err := q.inv.Invoke(q.ctx, &fn.Request{
		RequestID: ev.RequestID, Tenant: ev.Tenant, Function: ev.Function, Qualifier: ev.Qualifier,
		Payload: ev.Payload, TraceID: ev.TraceID, ClientContext: ev.ClientContext,
		Async: true,
	})
	failed := ""
	switch {
	case err == nil:
		q.inv.Finish(res)
		if res.FunctionError == "" {
			_ = msg.Ack()
			return
		}
		failed = "function error: " + string(res.Payload)
	case retryable(err):
		// Throttles and platform trouble are not the function's failures:
		// like Lambda, retry them until the event's maximum age, without
		// spending its retry attempts.
		log.Info("async invocation throttled or failed in the platform, will retry", "attempt", attempt, "err", err)
		_ = msg.NakWithDelay(min(q.cfg.Backoff(attempt), maxPlatformBackoff))
		return
	default:
		log.Warn("dropping an event that cannot run", "err", err)
		_ = msg.Term()
		return
	}
	if attempt >= q.cfg.MaxAttempts {
		log.Warn("dropping an event after its last attempt", "attempts", attempt, "last_error", failed)
		_ = msg.Term()
		return
	}
	log.Info("async invocation failed, will retry", "attempt", attempt, "err", failed)
	_ = msg.NakWithDelay(q.cfg.Backoff(attempt))
}

// maxPlatformBackoff caps the wait between retries of a throttled event.
const maxPlatformBackoff = time.Minute

// retryable: throttling and platform trouble are retried; a function that
// does not exist (any more) or a bad request is not.
func retryable(err error) bool {
	e := fn.AsError(err)
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status == http.StatusConflict
}

// Close stops taking events and waits for the running ones until ctx is
// done; events not finished are redelivered after a restart.
func (q *Queue) Close(ctx context.Context) error {
	if q.started {
		q.cc.Stop()
	}
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		q.cancel()
		<-done
	}
	q.cancel()
	return nil
}
