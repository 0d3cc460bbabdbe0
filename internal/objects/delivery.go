package objects

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// consumerName is the durable consumer of the event records, shared by
// the nodes of a cluster.
const consumerName = "objects-events"

// startDelivery starts the loop that hands each committed event record
// to its target, then acknowledges and deletes it; a failed hand-over
// comes back after a backoff.
func (s *Service) startDelivery(ctx context.Context) error {
	c, err := s.js.CreateOrUpdateConsumer(ctx, streamName, jetstream.ConsumerConfig{
		Durable:       consumerName,
		FilterSubject: subjEvent + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		MaxDeliver:    -1,
		MaxAckPending: 256,
	})
	if err != nil {
		return fmt.Errorf("objects: event consumer: %w", err)
	}
	st, err := s.js.Stream(ctx, streamName)
	if err != nil {
		return fmt.Errorf("objects: event consumer: %w", err)
	}
	cc, err := c.Consume(func(m jetstream.Msg) { s.handleEvent(ctx, st, m) }, jetstream.PullMaxMessages(16))
	if err != nil {
		return fmt.Errorf("objects: event consumer: %w", err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		cc.Drain()
		<-cc.Closed()
	}()
	return nil
}

func (s *Service) handleEvent(ctx context.Context, st jetstream.Stream, m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		s.log.Error("objects event: no metadata", "err", err)
		return
	}
	var r eventRecord
	if err := json.Unmarshal(m.Data(), &r); err != nil {
		s.log.Error("objects event: not JSON: dropped", "subject", m.Subject(), "err", err)
		if err := m.Term(); err != nil {
			s.log.Warn("objects event: term", "err", err)
		}
		return
	}
	log := s.log.With("tenant", r.Tenant, "target", r.Target, "event_id", r.ID)
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = s.deliver(dctx, r)
	cancel()
	if err != nil {
		delay := retryDelay(md.NumDelivered)
		log.Warn("objects event: delivery failed: retrying", "attempt", md.NumDelivered, "retry_in", delay, "err", err)
		if err := m.NakWithDelay(delay); err != nil {
			log.Warn("objects event: nak", "err", err)
		}
		return
	}
	if err := m.DoubleAck(ctx); err != nil {
		log.Warn("objects event: ack failed: it may be delivered again", "err", err)
		return
	}
	if err := st.DeleteMsg(ctx, md.Sequence.Stream); err != nil {
		log.Warn("objects event: delete the delivered record", "err", err)
	}
}
