package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of BatchConfig.
const (
	DefaultFlushInterval = 50 * time.Millisecond
	DefaultBatchBytes    = 512 << 10
	DefaultMaxPending    = 64 << 20
)

// Retry policy of one flush: a failed publish is retried until it is
// stored or the Batcher is closed (the store may be out of disk space for a
// while; what waits is bounded by MaxPending), with a backoff that doubles
// up to maxBackoff. Retries carry the same Nats-Msg-Id, so JetStream's
// duplicate window (2 minutes by default) stores a batch once even when
// only its ack was lost.
const (
	ackTimeout   = 5 * time.Second
	firstBackoff = 100 * time.Millisecond // doubled after each attempt
	maxBackoff   = 5 * time.Second
)

// BatchConfig tunes a Batcher. Zero values take the defaults.
type BatchConfig struct {
	// FlushInterval bounds how long an item waits before it is published.
	FlushInterval time.Duration
	// MaxBytes is the size at which a subject's batch is sealed and
	// published at once instead of waiting for the interval.
	MaxBytes int
	// MaxPending bounds the bytes held in memory, published or not yet
	// acknowledged. Items added beyond it are dropped (see Add).
	MaxPending int
}

// Batcher publishes many small JSON items as few durable messages: per
// subject and flush, one message whose body is a JSON array of the items.
//
// The store fsyncs every message (sync_interval: always), so one message per
// item would cap throughput at the disk's fsync rate; one message per subject
// per FlushInterval does not. Add is cheap and safe for concurrent use; one
// goroutine, owned by the Batcher, does all publishing, so the messages of a
// subject are stored in the order their items were added.
type Batcher struct {
	js      jetstream.JetStream
	cfg     BatchConfig
	log     *slog.Logger
	maxItem int           // largest item that fits in one message
	idBase  string        // Nats-Msg-Id prefix, unique per Batcher
	retries int           // publish attempts per flush; 0: until stored or closed
	backoff time.Duration // wait before the first retry (firstBackoff)
	nextID  atomic.Uint64
	lost    atomic.Int64

	mu       sync.Mutex
	state    int                 // notStarted, running, closed
	pending  map[string][]*chunk // by subject; the last chunk is open
	bytes    int                 // pending + in flight
	dropped  int                 // items dropped by Add since the last report
	closeErr error               // set by run before done is closed

	wake chan struct{}   // the first item since the last flush arrived
	full chan struct{}   // a chunk was sealed, or memory ran over the bound
	reqs chan chan error // Flush calls
	stop chan struct{}
	done chan struct{}

	ctx    context.Context // aborts publishing when Close's ctx ends
	cancel context.CancelFunc
}

const (
	notStarted = iota
	running
	closed
)

// chunk is one future message: "[item,item" (the closing bracket is added
// when it is published).
type chunk struct {
	subject string
	buf     []byte
	items   int
	size    int // bytes counted against MaxPending
	id      string
}

// NewBatcher returns a Batcher publishing through s. Nothing is published
// until Start.
func NewBatcher(s *Store, cfg BatchConfig, log *slog.Logger) *Batcher {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultBatchBytes
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Batcher{
		js:  s.js,
		cfg: cfg,
		log: log,
		// Room for the brackets and the headers JetStream adds.
		maxItem: int(s.nc.MaxPayload()) - 4<<10,
		idBase:  rand.Text() + "-",
		backoff: firstBackoff,
		pending: map[string][]*chunk{},
		wake:    make(chan struct{}, 1),
		full:    make(chan struct{}, 1),
		reqs:    make(chan chan error),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
}

// Start starts the goroutine that publishes.
func (b *Batcher) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != notStarted {
		return errors.New("store: batcher already started")
	}
	b.state = running
	go b.run()
	return nil
}

// Add queues items (each one JSON value) for subject. It never waits for
// I/O. Items of one call stay next to each other, in order.
//
// When memory holds MaxPending bytes (the store has not acknowledged for a
// while: the disk is full or stalled), Add drops the items and counts them;
// the publishing goroutine logs the count at error level. Blocking instead
// would turn a storage outage into an outage of every invocation, whose
// hot paths call Add; the bound keeps the process alive, the log says what
// was lost. Items that are not valid JSON, or too large for one message, are
// dropped and logged the same way, so a stored batch always decodes.
func (b *Batcher) Add(subject string, items ...[]byte) { b.add(subject, true, items) }

// AddMarshaled is Add for items that json.Marshal produced: it skips the
// JSON check, which costs more than the rest of Add on the invoke path.
func (b *Batcher) AddMarshaled(subject string, items ...[]byte) { b.add(subject, false, items) }

func (b *Batcher) add(subject string, check bool, items [][]byte) {
	if len(items) == 0 {
		return
	}
	size := 0
	for _, it := range items {
		if len(it)+2 > b.maxItem || (check && !json.Valid(it)) {
			b.drop(subject, len(items), "an item is not valid JSON or larger than a message")
			return
		}
		size += len(it) + 1
	}
	b.mu.Lock()
	switch {
	case b.state == closed:
		b.mu.Unlock()
		b.drop(subject, len(items), "batcher closed")
		return
	case b.bytes+size > b.cfg.MaxPending:
		b.dropped += len(items)
		b.lost.Add(int64(len(items)))
		b.mu.Unlock()
		signal(b.full)
		return
	}
	first := len(b.pending) == 0
	sealed := b.appendLocked(subject, items)
	b.bytes += size
	b.mu.Unlock()
	if first {
		signal(b.wake)
	}
	if sealed {
		signal(b.full)
	}
}

// appendLocked adds items to subject's open chunk, sealing it and opening
// another when it would pass MaxBytes. It reports whether it sealed one.
func (b *Batcher) appendLocked(subject string, items [][]byte) (sealed bool) {
	chunks := b.pending[subject]
	var c *chunk
	if n := len(chunks); n > 0 {
		c = chunks[n-1]
	}
	for _, it := range items {
		if c == nil || (c.items > 0 && len(c.buf)+len(it)+2 > b.cfg.MaxBytes) {
			sealed = sealed || c != nil
			c = &chunk{subject: subject, buf: make([]byte, 1, min(b.cfg.MaxBytes, 4<<10))}
			c.buf[0] = '['
			chunks = append(chunks, c)
		}
		if c.items > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = append(c.buf, it...)
		c.items++
		c.size += len(it) + 1
	}
	b.pending[subject] = chunks
	return sealed
}

// drop logs and counts items lost outside the publishing goroutine's view.
func (b *Batcher) drop(subject string, n int, why string) {
	b.lost.Add(int64(n))
	b.log.Error("store: batch items lost", "subject", subject, "items", n, "reason", why)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Lost is the number of items lost since NewBatcher: dropped by Add or
// given up after failed publishes. Each loss is also logged at error level.
func (b *Batcher) Lost() int64 { return b.lost.Load() }

// Flush publishes everything added before the call and waits for
// JetStream's acks. It returns an error when items were lost while it ran
// (items Add dropped earlier are only logged and counted in Lost), or ctx's
// error when ctx ends first (the publishing goes on regardless).
func (b *Batcher) Flush(ctx context.Context) error {
	b.mu.Lock()
	state := b.state
	b.mu.Unlock()
	if state == notStarted {
		return errors.New("store: batcher not started")
	}
	lostBefore := b.lost.Load()
	req := make(chan error, 1)
	select {
	case b.reqs <- req:
	case <-b.done:
		// Close's final flush covered everything added before this call.
		return b.closeErr
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req:
		return b.lostErr(err, lostBefore)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close publishes what is pending and stops the goroutine, waiting for it.
// When ctx ends first, publishing is aborted and the unpublished items are
// logged as lost. Items added after Close are dropped and logged.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	prev := b.state
	b.state = closed
	b.mu.Unlock()
	if prev == closed {
		return nil
	}
	defer context.AfterFunc(ctx, b.cancel)()
	defer b.cancel()
	if prev == notStarted {
		go b.run() // just for the final flush
	}
	lostBefore := b.lost.Load()
	close(b.stop)
	<-b.done
	return b.lostErr(b.closeErr, lostBefore)
}

// lostErr is err, or an error when items were lost since lost was lostBefore.
func (b *Batcher) lostErr(err error, lostBefore int64) error {
	if n := b.lost.Load() - lostBefore; err == nil && n > 0 {
		return fmt.Errorf("store: %d batch items lost (see the error log)", n)
	}
	return err
}

// run is the publishing goroutine: it flushes FlushInterval after the first
// item of a batch arrived, when a chunk is full, on Flush and on Close.
func (b *Batcher) run() {
	defer close(b.done)
	timer := time.NewTimer(b.cfg.FlushInterval)
	timer.Stop()
	defer timer.Stop()
	armed := false
	for {
		select {
		case <-b.wake:
			if !armed {
				timer.Reset(b.cfg.FlushInterval)
				armed = true
			}
		case <-timer.C:
			armed = false
			_ = b.flush() // logged inside
		case <-b.full:
			_ = b.flush()
		case req := <-b.reqs:
			req <- b.flush()
		case <-b.stop:
			b.closeErr = b.flush() // read by Close and Flush after done closes
			return
		}
	}
}

// flush publishes all pending chunks, retrying failures; what still fails
// is logged as lost. Only the goroutine that owns publishing calls it.
func (b *Batcher) flush() error {
	b.mu.Lock()
	taken := b.pending
	b.pending = map[string][]*chunk{}
	dropped := b.dropped
	b.dropped = 0
	b.mu.Unlock()
	if dropped > 0 {
		b.log.Error("store: batch items lost: pending memory limit reached, the store is not keeping up",
			"items", dropped, "max_pending_bytes", b.cfg.MaxPending)
	}
	var all []*chunk
	size := 0
	for _, chunks := range taken {
		for _, c := range chunks {
			c.buf = append(c.buf, ']')
			c.id = b.idBase + strconv.FormatUint(b.nextID.Add(1), 36)
			size += c.size
			all = append(all, c)
		}
	}
	err := b.publish(all)
	b.mu.Lock()
	b.bytes -= size
	b.mu.Unlock()
	return err
}

// publish sends chunks concurrently and waits for their acks, retrying the
// failed ones with backoff until they are stored or the Batcher closes.
func (b *Batcher) publish(chunks []*chunk) error {
	backoff := b.backoff
	for attempt := 1; len(chunks) > 0; attempt++ {
		failed, err := b.publishOnce(chunks)
		if len(failed) == 0 {
			return nil
		}
		if (b.retries > 0 && attempt >= b.retries) || b.ctx.Err() != nil {
			items := 0
			for _, c := range failed {
				items += c.items
			}
			b.lost.Add(int64(items))
			b.log.Error("store: batch items lost: publish failed", "items", items, "messages", len(failed),
				"subject", failed[0].subject, "attempts", attempt, "err", err)
			return fmt.Errorf("store: publish %d batch messages (%d items lost): %w", len(failed), items, err)
		}
		if attempt == 1 || attempt%20 == 0 {
			b.log.Warn("store: batch publish failed, retrying until stored (held in memory meanwhile)",
				"messages", len(failed), "attempt", attempt, "err", err)
		}
		select {
		case <-time.After(backoff):
		case <-b.ctx.Done():
		}
		backoff = min(backoff*2, maxBackoff)
		chunks = failed
	}
	return nil
}

// publishOnce publishes chunks with PublishMsgAsync and waits for every ack.
// It returns the chunks whose publish was not acknowledged and the first
// error.
func (b *Batcher) publishOnce(chunks []*chunk) (failed []*chunk, firstErr error) {
	fail := func(c *chunk, err error) {
		failed = append(failed, c)
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", c.subject, err)
		}
	}
	futures := make([]jetstream.PubAckFuture, len(chunks))
	for i, c := range chunks {
		if err := b.ctx.Err(); err != nil {
			fail(c, err)
			continue
		}
		// No retries inside the client: publish retries all failures.
		f, err := b.js.PublishMsgAsync(&nats.Msg{Subject: c.subject, Data: c.buf},
			jetstream.WithMsgID(c.id), jetstream.WithRetryAttempts(0))
		if err != nil {
			fail(c, err)
			continue
		}
		futures[i] = f
	}
	timeout := time.NewTimer(ackTimeout)
	defer timeout.Stop()
	for i, f := range futures {
		if f == nil {
			continue
		}
		select { // acks already in count even after the timeout
		case <-f.Ok():
			continue
		case err := <-f.Err():
			fail(chunks[i], err)
			continue
		default:
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			fail(chunks[i], err)
		case <-timeout.C:
			timeout.Reset(0) // the remaining futures get only the non-blocking check
			fail(chunks[i], errors.New("no ack in "+ackTimeout.String()))
		case <-b.ctx.Done():
			fail(chunks[i], b.ctx.Err())
		}
	}
	return failed, firstErr
}
