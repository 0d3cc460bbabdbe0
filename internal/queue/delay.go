package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The mover releases delayed messages: one durable consumer over every
// queue's delayed subject. A message not yet due is NAKed with the time
// left (JetStream keeps it, and its timer, across restarts); a due one is
// stored in its queue and then acknowledged here. A crash between the two
// stores it twice under the same de-duplication id: once.
type mover struct {
	cc  jetstream.ConsumeContext
	log *slog.Logger
	m   *Manager
}

const (
	moverName = "queue-delay"
	// moverPending bounds delayed messages waiting at once; beyond it a
	// message waits in the stream and is released when a slot frees.
	moverPending = 200_000
)

func startMover(ctx context.Context, m *Manager) (*mover, error) {
	cons, err := m.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       moverName,
		Description:   "releases delayed messages to their queues when due",
		FilterSubject: delayPrefix + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       5 * time.Second,
		MaxDeliver:    -1,
		MaxAckPending: moverPending,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: delay consumer: %w", err)
	}
	mv := &mover{log: m.log, m: m}
	cc, err := cons.Consume(mv.handle)
	if err != nil {
		return nil, fmt.Errorf("queue: delay consumer: %w", err)
	}
	mv.cc = cc
	return mv, nil
}

// stop ends consuming and waits (briefly) for a message being moved.
func (mv *mover) stop() {
	mv.cc.Stop()
	select {
	case <-mv.cc.Closed():
	case <-time.After(5 * time.Second):
	}
}

func (mv *mover) handle(msg jetstream.Msg) {
	due, err := strconv.ParseInt(msg.Headers().Get(hdrDue), 10, 64)
	if err != nil {
		due = 0 // no due time: release now rather than hold it forever
	}
	if wait := time.Until(time.UnixMilli(due)); wait > 0 {
		if err := msg.NakWithDelay(wait); err != nil {
			mv.log.Error("holding a delayed message failed; it comes back in 5 s", "subject", msg.Subject(), "err", err)
		}
		return
	}
	id, ok := idOfSubject(msg.Subject())
	if !ok {
		mv.log.Error("a delayed message on a subject of no queue is dropped", "subject", msg.Subject())
		if err := msg.Term(); err != nil {
			mv.log.Error("dropping it failed", "err", err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := msg.Metadata()
	if err != nil {
		mv.log.Error("a delayed message without metadata", "queue", id.String(), "err", err)
		return
	}
	nm := nats.NewMsg(readySubject(id))
	nm.Header = msg.Headers()
	nm.Header.Del(hdrDue)
	nm.Header.Del(jetstream.MsgIDHeader)
	nm.Data = msg.Data()
	if _, err := mv.m.js.PublishMsg(ctx, nm, jetstream.WithMsgID("due/"+strconv.FormatUint(md.Sequence.Stream, 10))); err != nil {
		mv.log.Error("releasing a delayed message failed; retrying in a second", "queue", id.String(), "err", err)
		if err := msg.NakWithDelay(time.Second); err != nil {
			mv.log.Error("holding a delayed message failed; it comes back in 5 s", "queue", id.String(), "err", err)
		}
		return
	}
	if err := msg.DoubleAck(ctx); err != nil {
		mv.log.Error("acknowledging a released message failed; it may be released twice (de-duplicated within 5 minutes)", "queue", id.String(), "err", err)
	}
}
