package queue

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Message is what a sender stores.
type Message struct {
	// ID is the message's id (SQS's MessageId); Send makes one when empty.
	ID string
	// DedupID de-duplicates: a second Send with the same DedupID within
	// DedupWindow is stored once. Default: ID.
	DedupID string
	Body    []byte
	// Attributes are the protocol's own (SQS message attributes, an
	// event's metadata), returned with the message and not read here.
	Attributes []byte
	Group      string // FIFO message group
	// Delay keeps the message invisible this long after it is stored;
	// nil takes the queue's default delay.
	Delay *time.Duration
}

// Delivery is a received message, leased until its visibility timeout.
type Delivery struct {
	Message
	Queue    ID
	Handle   string    // the receipt handle: Ack, ChangeVisibility, Extend
	Receives int       // how many times it was received, this one included
	Sent     time.Time // when Send stored it
	Seq      uint64    // its sequence in the stream: increases with send order
}

// Headers carrying a message's fields.
const (
	hdrID     = "Updraft-Id"
	hdrSent   = "Updraft-Sent" // unix milliseconds
	hdrGroup  = "Updraft-Group"
	hdrDedup  = "Updraft-Dedup"
	hdrAttrs  = "Updraft-Attrs" // base64
	hdrDue    = "Updraft-Due"   // unix milliseconds, delayed messages only
	hdrOrigin = "Updraft-Origin"
)

// Send stores msg in the queue; when it returns, JetStream has it on disk.
// It returns the message's id.
func (m *Manager) Send(ctx context.Context, id ID, msg Message) (string, error) {
	s, err := m.Store(ctx, id, msg)
	return s.ID, err
}

// Stored describes a message Store stored.
type Stored struct {
	ID string
	// Seq is its sequence in the stream (a delayed message gets another
	// when it becomes due); for a duplicate, the first copy's.
	Seq uint64
	// Duplicate: a message with the same de-duplication id was stored
	// within DedupWindow, and this one was not stored again.
	Duplicate bool
}

// Store is Send, also returning the message's sequence and whether it was
// a duplicate (SQS's SequenceNumber for FIFO queues).
func (m *Manager) Store(ctx context.Context, id ID, msg Message) (Stored, error) {
	cfg, err := m.definition(ctx, id)
	if err != nil {
		return Stored{}, err
	}
	if m.health != nil {
		if err := m.health(); err != nil {
			return Stored{}, err
		}
	}
	if len(msg.Body)+len(msg.Attributes)*4/3 > MaxMessageBytes-4<<10 {
		return Stored{}, tooLarge()
	}
	if msg.ID == "" {
		msg.ID = NewID()
	}
	if msg.DedupID == "" {
		msg.DedupID = msg.ID
	}
	delay := cfg.Delay
	if msg.Delay != nil {
		delay = *msg.Delay
	}
	if delay < 0 || delay > MaxDelay {
		return Stored{}, fn.InvalidParameter("delay %v is outside 0 to %v", delay, MaxDelay)
	}
	now := time.Now()
	nm := nats.NewMsg(readySubject(id))
	nm.Header.Set(hdrID, msg.ID)
	nm.Header.Set(hdrSent, strconv.FormatInt(now.UnixMilli(), 10))
	if msg.Group != "" {
		nm.Header.Set(hdrGroup, msg.Group)
	}
	if cfg.FIFO {
		nm.Header.Set(hdrDedup, msg.DedupID)
	}
	if len(msg.Attributes) > 0 {
		nm.Header.Set(hdrAttrs, base64.StdEncoding.EncodeToString(msg.Attributes))
	}
	if delay > 0 {
		nm.Subject = delaySubject(id)
		nm.Header.Set(hdrDue, strconv.FormatInt(now.Add(delay).UnixMilli(), 10))
	}
	nm.Data = msg.Body
	ack, err := m.js.PublishMsg(ctx, nm, jetstream.WithMsgID(id.String()+"/"+msg.DedupID))
	if err != nil {
		return Stored{}, storeError(err)
	}
	return Stored{ID: msg.ID, Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// storeError is the error for a message the store did not take.
func storeError(err error) error {
	if errors.Is(err, nats.ErrMaxPayload) {
		return tooLarge()
	}
	return &fn.Error{Status: http.StatusServiceUnavailable, Type: fn.TypeServiceUnavailable,
		Message: "the message could not be stored, so it was not accepted: retry", Err: err}
}

func tooLarge() error {
	return fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge, "the message is larger than the queue's limit of %d bytes", MaxMessageBytes-4<<10)
}

// ReceiveOptions shape one Receive.
type ReceiveOptions struct {
	Max  int           // 1 to MaxBatch; default 1
	Wait time.Duration // long poll: wait this long for a first message
	// Visibility leases the messages for this long instead of the
	// queue's visibility timeout; nil: the queue's.
	Visibility *time.Duration
}

// Receive leases up to opt.Max visible messages, waiting up to opt.Wait
// for the first one. Messages past the queue's retention are deleted, and
// messages past its maximum receive count moved to its dead-letter queue,
// instead of being returned.
func (m *Manager) Receive(ctx context.Context, id ID, opt ReceiveOptions) ([]Delivery, error) {
	cfg, err := m.definition(ctx, id)
	if err != nil {
		return nil, err
	}
	opt.Max = min(max(opt.Max, 1), MaxBatch)
	deadline := time.Now().Add(opt.Wait)
	for {
		out, err := m.receiveOnce(ctx, id, cfg, opt, time.Until(deadline))
		if err != nil || len(out) > 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			return out, err
		}
		// Everything fetched was expired or dead-lettered, or a FIFO
		// queue is waiting for its batch in flight: look again.
		if cfg.FIFO {
			select {
			case <-ctx.Done():
				return nil, nil
			case <-time.After(min(fifoPoll, time.Until(deadline))):
			}
		}
	}
}

// fifoPoll is how often a long poll on a FIFO queue looks whether the
// batch in flight is settled.
const fifoPoll = 50 * time.Millisecond

func (m *Manager) receiveOnce(ctx context.Context, id ID, cfg Config, opt ReceiveOptions, wait time.Duration) ([]Delivery, error) {
	cons, err := m.consumer(ctx, id)
	if err != nil {
		return nil, err
	}
	var fs *fifoState
	if cfg.FIFO {
		var busy bool
		if fs, busy = m.lockFIFO(id); busy {
			return nil, nil
		}
		defer fs.mu.Unlock()
		wait = min(wait, fifoPoll) // never hold the queue's lock through a long poll
	}
	msgs, err := fetch(ctx, cons, opt.Max, wait)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(msgs))
	for _, msg := range msgs {
		d, keep := m.admit(ctx, id, cfg, msg)
		if !keep {
			continue
		}
		visibility := cfg.Visibility
		if opt.Visibility != nil && *opt.Visibility != cfg.Visibility {
			if err := msg.NakWithDelay(*opt.Visibility); err != nil {
				m.log.Error("setting a received message's visibility failed; it keeps the queue's", "queue", id.String(), "err", err)
			} else {
				visibility = *opt.Visibility
			}
		}
		if fs != nil {
			fs.inflight[d.Seq] = time.Now().Add(visibility)
		}
		out = append(out, d)
	}
	return out, nil
}

// fetch pulls up to n messages: what is there now, or, when nothing is,
// the first to arrive within wait and whatever came with it.
func fetch(ctx context.Context, cons jetstream.Consumer, n int, wait time.Duration) ([]jetstream.Msg, error) {
	got, err := drain(cons.FetchNoWait(n))
	if err != nil || len(got) > 0 || wait < time.Millisecond {
		return got, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	first, err := drain(cons.Fetch(1, jetstream.FetchContext(wctx)))
	if err != nil || len(first) == 0 || n == 1 {
		return first, err
	}
	rest, err := drain(cons.FetchNoWait(n - 1))
	return append(first, rest...), err
}

func drain(b jetstream.MessageBatch, err error) ([]jetstream.Msg, error) {
	if err != nil {
		return nil, fmt.Errorf("queue: fetch: %w", err)
	}
	var out []jetstream.Msg
	for msg := range b.Messages() {
		out = append(out, msg)
	}
	if err := b.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
		return out, fmt.Errorf("queue: fetch: %w", err)
	}
	return out, nil
}

// admit turns a fetched message into a delivery, or settles it here: one
// past retention is deleted, one past the dead-letter policy moved.
func (m *Manager) admit(ctx context.Context, id ID, cfg Config, msg jetstream.Msg) (Delivery, bool) {
	d := decode(id, msg)
	if time.Since(d.Sent) > cfg.Retention {
		m.settle(msg.DoubleAck(ctx), id, "deleting a message past the queue's retention")
		return d, false
	}
	if cfg.MaxReceives > 0 && d.Receives > cfg.MaxReceives {
		dlq := ID{Tenant: id.Tenant, Name: cfg.DeadLetter}
		if err := m.republish(ctx, dlq, msg, "dlq"); err != nil {
			m.log.Error("moving a message to the dead-letter queue failed; it stays in its queue", "queue", id.String(), "dlq", dlq.Name, "err", err)
			m.settle(msg.NakWithDelay(time.Second), id, "returning a message whose move failed")
			return d, false
		}
		m.settle(msg.DoubleAck(ctx), id, "removing a message moved to the dead-letter queue")
		return d, false
	}
	return d, true
}

// settle logs a settle error: the message then comes back after its
// visibility timeout, so nothing is lost, but the operator should know.
func (m *Manager) settle(err error, id ID, what string) {
	if err != nil {
		m.log.Error(what+" failed; the message returns after its visibility timeout", "queue", id.String(), "err", err)
	}
}

// republish stores msg's content in queue to, keeping its id, sent time
// and attributes; why names the move for de-duplication.
func (m *Manager) republish(ctx context.Context, to ID, msg jetstream.Msg, why string) error {
	md, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("queue: metadata: %w", err)
	}
	nm := nats.NewMsg(readySubject(to))
	for _, h := range []string{hdrID, hdrSent, hdrGroup, hdrDedup, hdrAttrs} {
		if v := msg.Headers().Get(h); v != "" {
			nm.Header.Set(h, v)
		}
	}
	nm.Header.Set(hdrOrigin, msg.Subject())
	nm.Data = msg.Data()
	_, err = m.js.PublishMsg(ctx, nm, jetstream.WithMsgID(why+"/"+strconv.FormatUint(md.Sequence.Stream, 10)))
	return err
}

func decode(id ID, msg jetstream.Msg) Delivery {
	h := msg.Headers()
	d := Delivery{Queue: id, Handle: base64.RawURLEncoding.EncodeToString([]byte(msg.Reply()))}
	d.ID = h.Get(hdrID)
	d.Group = h.Get(hdrGroup)
	d.DedupID = h.Get(hdrDedup)
	d.Body = msg.Data()
	if a := h.Get(hdrAttrs); a != "" {
		d.Attributes, _ = base64.StdEncoding.DecodeString(a)
	}
	if ms, err := strconv.ParseInt(h.Get(hdrSent), 10, 64); err == nil {
		d.Sent = time.UnixMilli(ms)
	}
	if md, err := msg.Metadata(); err == nil {
		d.Receives = int(md.NumDelivered)
		d.Seq = md.Sequence.Stream
		if d.Sent.IsZero() {
			d.Sent = md.Timestamp
		}
	}
	return d
}

// NewID returns a random message id in the form of a UUID, as SQS's are.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
