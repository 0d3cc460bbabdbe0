package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stats describe a queue's messages (SQS's approximate counts).
type Stats struct {
	Visible  int       `json:"visible"`   // ready to be received
	InFlight int       `json:"in_flight"` // received, not yet deleted or visible again
	Delayed  int       `json:"delayed"`   // sent with a delay not yet over
	Oldest   time.Time `json:"oldest"`    // when the oldest message was stored; zero if none
}

// Stats returns the queue's counts.
func (m *Manager) Stats(ctx context.Context, id ID) (Stats, error) {
	cons, err := m.consumer(ctx, id)
	if err != nil {
		return Stats{}, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("queue: consumer of %s: %w", id, err)
	}
	st := Stats{Visible: int(info.NumPending), InFlight: info.NumAckPending}
	si, err := m.stream.Info(ctx, jetstream.WithSubjectFilter(delaySubject(id)))
	if err != nil {
		return Stats{}, fmt.Errorf("queue: stream: %w", err)
	}
	for _, n := range si.State.Subjects {
		st.Delayed += int(n)
	}
	if st.Visible+st.InFlight > 0 {
		msg, err := m.stream.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(readySubject(id)))
		if err == nil {
			st.Oldest = msg.Time
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return Stats{}, fmt.Errorf("queue: oldest message of %s: %w", id, err)
		}
	}
	return st, nil
}

// Purge deletes every message of the queue, delayed ones included.
func (m *Manager) Purge(ctx context.Context, id ID) error {
	if _, err := m.definition(ctx, id); err != nil {
		return err
	}
	for _, subj := range []string{readySubject(id), delaySubject(id)} {
		if err := m.stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
			return fmt.Errorf("queue: purge %s: %w", id, err)
		}
	}
	return nil
}

// Redrive moves up to max visible messages (0: all) from one queue (a
// dead-letter queue) to another, keeping their ids and attributes; their
// receive counts start again. It returns how many moved.
func (m *Manager) Redrive(ctx context.Context, from, to ID, max int) (int, error) {
	if _, err := m.definition(ctx, to); err != nil {
		return 0, err
	}
	cons, err := m.consumer(ctx, from)
	if err != nil {
		return 0, err
	}
	moved := 0
	for max == 0 || moved < max {
		n := 256
		if max > 0 {
			n = min(n, max-moved)
		}
		msgs, err := drain(cons.FetchNoWait(n))
		if err != nil {
			return moved, err
		}
		if len(msgs) == 0 {
			return moved, nil
		}
		for _, msg := range msgs {
			if err := m.republish(ctx, to, msg, "redrive"); err != nil {
				m.settle(msg.Nak(), from, "returning a message whose redrive failed")
				return moved, fmt.Errorf("queue: redrive to %s: %w", to, err)
			}
			if err := msg.DoubleAck(ctx); err != nil {
				return moved, fmt.Errorf("queue: redrive from %s: %w", from, err)
			}
			moved++
		}
	}
	return moved, nil
}

// Browse returns up to max of the queue's stored messages, oldest first,
// without leasing them (no receipt handles, receive counts unchanged):
// for showing a queue's content, such as failed events.
func (m *Manager) Browse(ctx context.Context, id ID, max int) ([]Delivery, error) {
	if _, err := m.definition(ctx, id); err != nil {
		return nil, err
	}
	var out []Delivery
	seq := uint64(1)
	for len(out) < max {
		msg, err := m.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(readySubject(id)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		} else if err != nil {
			return out, fmt.Errorf("queue: browse %s: %w", id, err)
		}
		d := Delivery{Queue: id, Seq: msg.Sequence, Sent: msg.Time}
		d.Body = msg.Data
		d.ID = msg.Header.Get(hdrID)
		d.Group = msg.Header.Get(hdrGroup)
		out = append(out, d)
		seq = msg.Sequence + 1
	}
	return out, nil
}
