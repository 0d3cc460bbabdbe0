package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrBadHandle is returned for a receipt handle that is not one of this
// queue's.
var ErrBadHandle = errors.New("queue: the receipt handle is not valid for this queue")

// Ack deletes a received message: it will not be received again.
func (m *Manager) Ack(ctx context.Context, id ID, handle string) error {
	return m.reply(ctx, id, handle, []byte("+ACK"), time.Time{})
}

// ChangeVisibility makes a received message visible again after d (0: at
// once), counted from now.
func (m *Manager) ChangeVisibility(ctx context.Context, id ID, handle string, d time.Duration) error {
	if d < 0 || d > MaxVisibility {
		return fmt.Errorf("queue: visibility %v is outside 0 to %v", d, MaxVisibility)
	}
	if d == 0 {
		// A plain NAK queues the message for redelivery before the
		// server answers, ahead of newer messages (FIFO order).
		return m.reply(ctx, id, handle, []byte("-NAK"), time.Time{})
	}
	body, _ := json.Marshal(struct {
		Delay time.Duration `json:"delay"`
	}{d})
	return m.reply(ctx, id, handle, append([]byte("-NAK "), body...), time.Now().Add(d))
}

// Extend restarts a received message's visibility timeout, as a worker
// still busy with it does.
func (m *Manager) Extend(ctx context.Context, id ID, handle string) error {
	return m.reply(ctx, id, handle, []byte("+WPI"), time.Time{}.Add(-1))
}

// reply sends a settle to the delivery's ack subject and waits for the
// server to confirm it.
// visible is when the message is visible again: zero once acknowledged,
// before zero when unchanged (an extension).
func (m *Manager) reply(ctx context.Context, id ID, handle string, body []byte, visible time.Time) error {
	subj, err := ackSubject(id, handle)
	if err != nil {
		return err
	}
	if _, err := m.nc.RequestWithContext(ctx, subj, body); err != nil {
		return fmt.Errorf("queue: settle a message of %s: %w", id, err)
	}
	if !visible.Before(time.Time{}) {
		m.fifoSettled(id, subj, visible)
	}
	return nil
}

// ackSubject decodes a receipt handle and checks that it names this
// queue's consumer, so a handle can never settle another queue's (or
// tenant's) message.
func ackSubject(id ID, handle string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil {
		return "", ErrBadHandle
	}
	subj := string(raw)
	t := strings.Split(subj, ".")
	// $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>
	// or, with a domain and an account hash,
	// $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>]
	var stream, consumer string
	switch {
	case len(t) == 9 && t[0] == "$JS" && t[1] == "ACK":
		stream, consumer = t[2], t[3]
	case len(t) >= 11 && t[0] == "$JS" && t[1] == "ACK":
		stream, consumer = t[4], t[5]
	default:
		return "", ErrBadHandle
	}
	if stream != StreamName || consumer != consumerName(id) {
		return "", ErrBadHandle
	}
	return subj, nil
}

// definition returns the queue's definition (ErrNotFound if none): from
// the cache the definitions watch keeps (Start), else from the bucket.
func (m *Manager) definition(ctx context.Context, id ID) (Config, error) {
	m.mu.Lock()
	cfg, ok := m.defCache[id]
	m.mu.Unlock()
	if ok {
		return cfg, nil
	}
	return m.Get(ctx, id)
}

// consumer returns the queue's consumer handle, cached per id.
func (m *Manager) consumer(ctx context.Context, id ID) (jetstream.Consumer, error) {
	m.mu.Lock()
	c, ok := m.consumers[id]
	m.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := m.stream.Consumer(ctx, consumerName(id))
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("queue: consumer of %s: %w", id, err)
	}
	m.mu.Lock()
	m.consumers[id] = c
	m.mu.Unlock()
	return c, nil
}

// forget drops the cached consumer handle of a deleted queue.
func (m *Manager) forget(id ID) {
	m.mu.Lock()
	delete(m.consumers, id)
	m.mu.Unlock()
}

// fifoState is one FIFO queue's batch in flight on this node: the stream
// sequences handed out and when each becomes visible again.
type fifoState struct {
	mu       sync.Mutex // held through a receive: one at a time
	inflight map[uint64]time.Time
}

// lockFIFO serializes receives of a FIFO queue on this node and reports
// busy while a batch is in flight (leased and not yet settled). The
// caller records what it hands out with fifoState.lease.
func (m *Manager) lockFIFO(id ID) (st *fifoState, busy bool) {
	m.mu.Lock()
	st, ok := m.fifo[id]
	if !ok {
		st = &fifoState{inflight: make(map[uint64]time.Time)}
		m.fifo[id] = st
	}
	m.mu.Unlock()
	st.mu.Lock()
	// A lease that ran out is redelivered by the server's own timer; the
	// grace lets it queue the message again before newer ones are fetched.
	now := time.Now().Add(-fifoGrace)
	for seq, visible := range st.inflight {
		if !visible.After(now) {
			delete(st.inflight, seq)
		}
	}
	if len(st.inflight) > 0 {
		st.mu.Unlock()
		return nil, true
	}
	return st, false
}

// fifoSettled records that a FIFO message was acknowledged (visible:
// zero) or made visible again at visible.
func (m *Manager) fifoSettled(id ID, subj string, visible time.Time) {
	m.mu.Lock()
	st, ok := m.fifo[id]
	m.mu.Unlock()
	if !ok {
		return
	}
	seq, ok := ackSeq(subj)
	if !ok {
		return
	}
	st.mu.Lock()
	if _, held := st.inflight[seq]; held {
		if visible.IsZero() || !visible.After(time.Now()) {
			delete(st.inflight, seq)
		} else {
			st.inflight[seq] = visible
		}
	}
	st.mu.Unlock()
}

const fifoGrace = 100 * time.Millisecond

// ackSeq is the stream sequence in an ack subject (the fifth token from
// the end in both layouts).
func ackSeq(subj string) (uint64, bool) {
	t := strings.Split(subj, ".")
	if len(t) < 9 {
		return 0, false
	}
	i := 5
	if len(t) >= 11 {
		i = 7
	}
	n, err := strconv.ParseUint(t[i], 10, 64)
	return n, err == nil
}
