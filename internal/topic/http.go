package topic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// HTTP/S subscribers get their messages from a queue of their own
// ("sns-http:ID" in the tenant), drained by one loop per subscription, so
// a slow or failing endpoint only ever delays its own messages.

// deliveryQueue is an HTTP/S subscription's delivery queue.
func deliveryQueue(sub *Subscription) queue.ID {
	return queue.ID{Tenant: sub.Tenant, Name: "sns-http:" + sub.ID}
}

// retryPolicy is the healthyRetryPolicy of an HTTP/S delivery policy.
type retryPolicy struct {
	NumRetries     int `json:"numRetries"`
	MinDelayTarget int `json:"minDelayTarget"` // seconds
	MaxDelayTarget int `json:"maxDelayTarget"` // seconds
}

// defaultRetry is SNS's default for HTTP/S: three retries 20 seconds apart.
var defaultRetry = retryPolicy{NumRetries: 3, MinDelayTarget: 20, MaxDelayTarget: 20}

// parseDeliveryPolicy reads {"healthyRetryPolicy": {...}}; absent fields
// take SNS's defaults.
func parseDeliveryPolicy(s string) (retryPolicy, error) {
	rp := defaultRetry
	if s == "" {
		return rp, nil
	}
	var dp struct {
		Healthy *retryPolicy `json:"healthyRetryPolicy"`
	}
	if err := json.Unmarshal([]byte(s), &dp); err != nil {
		return rp, fn.InvalidParameter(`Invalid parameter: DeliveryPolicy: %v: expected {"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":20,"maxDelayTarget":20}}`, err)
	}
	if dp.Healthy != nil {
		rp = *dp.Healthy
	}
	switch {
	case rp.NumRetries < 0 || rp.NumRetries > 100:
		return rp, fn.InvalidParameter("Invalid parameter: DeliveryPolicy: numRetries %d is outside 0 to 100", rp.NumRetries)
	case rp.MinDelayTarget < 1 || rp.MaxDelayTarget < rp.MinDelayTarget || rp.MaxDelayTarget > 3600:
		return rp, fn.InvalidParameter("Invalid parameter: DeliveryPolicy: delays must satisfy 1 <= minDelayTarget <= maxDelayTarget <= 3600 seconds")
	}
	return rp, nil
}

// delay is the wait before retry n (1-based): linear from the minimum to
// the maximum delay.
func (rp retryPolicy) delay(n int) time.Duration {
	d := rp.MinDelayTarget
	if rp.NumRetries > 1 {
		d += (rp.MaxDelayTarget - rp.MinDelayTarget) * (n - 1) / (rp.NumRetries - 1)
	}
	return time.Duration(d) * time.Second
}

// sendConfirmation queues the SubscriptionConfirmation message.
func (s *Service) sendConfirmation(ctx context.Context, sub *Subscription) error {
	c := event.NewSubscriptionConfirmation(event.ConfirmationInput{
		MessageID: queue.NewID(), TopicARN: sub.TopicARN, Token: sub.Token, Endpoint: s.cfg.Endpoint(), Timestamp: time.Now(),
	})
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	msg := queue.Message{ID: c.MessageID, Body: body, Attributes: []byte(event.SNSTypeSubscriptionConfirmation)}
	if _, err := s.cfg.Queues.Send(ctx, deliveryQueue(sub), msg); err != nil {
		return fmt.Errorf("topic: queue the confirmation of %s: %w", sub.ARN, err)
	}
	return nil
}

// Start runs the delivery loops of every stored HTTP/S subscription.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.started = true
	s.mu.Unlock()
	var subs []*Subscription
	err := s.each(ctx, "s.>", func(data []byte) error {
		var sub Subscription
		if err := json.Unmarshal(data, &sub); err != nil {
			return err
		}
		subs = append(subs, &sub)
		return nil
	})
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if sub.Protocol == ProtoHTTP || sub.Protocol == ProtoHTTPS {
			s.startLoop(sub)
		}
	}
	return nil
}

// Close stops the delivery loops; undelivered messages stay queued.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.started = false
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("topic: delivery loops still running: %w", ctx.Err())
	}
}

func (s *Service) startLoop(sub *Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.loops[sub.ID] != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.loops[sub.ID] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.loop(ctx, sub)
	}()
}

func (s *Service) stopLoop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel := s.loops[id]; cancel != nil {
		cancel()
		delete(s.loops, id)
	}
}

// loop drains one HTTP/S subscription's delivery queue until ctx ends.
func (s *Service) loop(ctx context.Context, sub *Subscription) {
	log := s.log.With("tenant", sub.Tenant, "subscription", sub.ARN)
	q := deliveryQueue(sub)
	for ctx.Err() == nil {
		// One at a time: a lease of several would run out behind a slow
		// endpoint (15 s a try) and its messages be posted twice.
		ds, err := s.cfg.Queues.Receive(ctx, q, queue.ReceiveOptions{Max: 1, Wait: queue.MaxWait})
		if errors.Is(err, queue.ErrNotFound) {
			return // unsubscribed on another node
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("receive from delivery queue", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, d := range ds {
			s.deliverHTTP(ctx, log, sub, d)
		}
	}
}

// deliverHTTP posts one message; a 2xx acknowledges it, anything else
// retries it by the delivery policy and, once the retries are spent,
// moves it to the subscription's dead-letter queue or logs and drops it.
func (s *Service) deliverHTTP(ctx context.Context, log *slog.Logger, sub *Subscription, d queue.Delivery) {
	q := deliveryQueue(sub)
	// Read the current attributes: raw delivery and policies may change.
	if cur, err := s.GetSubscription(ctx, sub.Tenant, sub.ARN); err == nil {
		sub = cur
	}
	kind := string(d.Attributes)
	err := s.post(ctx, sub, kind, d)
	if err == nil {
		if aerr := s.cfg.Queues.Ack(ctx, q, d.Handle); aerr != nil {
			log.Warn("ack delivered message", "message_id", d.ID, "err", aerr)
		}
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the message comes back after its visibility timeout
	}
	rp, _ := parseDeliveryPolicy(sub.Attributes[AttrDeliveryPolicy])
	if d.Receives <= rp.NumRetries {
		log.Warn("delivery failed, will retry", "message_id", d.ID, "attempt", d.Receives, "err", err)
		if verr := s.cfg.Queues.ChangeVisibility(ctx, q, d.Handle, rp.delay(d.Receives)); verr != nil {
			log.Warn("delay retry", "message_id", d.ID, "err", verr)
		}
		return
	}
	if dlq := deadLetterQueue(sub); dlq != "" {
		if _, serr := s.cfg.Queues.Send(ctx, queue.ID{Tenant: sub.Tenant, Name: dlq}, queue.Message{DedupID: d.ID + "/" + sub.ID + "/dlq", Body: d.Body}); serr != nil {
			log.Error("move undeliverable message to the dead-letter queue", "message_id", d.ID, "dlq", dlq, "err", serr)
			return // it comes back after its visibility timeout and is moved then
		}
		log.Warn("delivery retries exhausted: moved to the dead-letter queue", "message_id", d.ID, "attempts", d.Receives, "dlq", dlq, "err", err)
	} else {
		log.Error("delivery retries exhausted and no dead-letter queue: message dropped", "message_id", d.ID, "attempts", d.Receives, "type", kind, "body", truncate(d.Body, 1024), "err", err)
	}
	if aerr := s.cfg.Queues.Ack(ctx, q, d.Handle); aerr != nil {
		log.Warn("ack undeliverable message", "message_id", d.ID, "err", aerr)
	}
}

func deadLetterQueue(sub *Subscription) string {
	var rp struct {
		Target string `json:"deadLetterTargetArn"`
	}
	if json.Unmarshal([]byte(sub.Attributes[AttrRedrivePolicy]), &rp) != nil {
		return ""
	}
	name, err := arnResource(sub.Tenant, rp.Target, "sqs", "")
	if err != nil {
		return ""
	}
	return name
}

// post sends one message with SNS's headers.
func (s *Service) post(ctx context.Context, sub *Subscription, kind string, d queue.Delivery) error {
	u, err := url.Parse(sub.Endpoint)
	if err != nil || !s.allowedHost(u.Hostname()) {
		return fmt.Errorf("endpoint %s is not reachable from this server", sub.Endpoint)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("User-Agent", "Amazon Simple Notification Service Agent")
	h.Set("x-amz-sns-message-type", kind)
	h.Set("x-amz-sns-message-id", d.ID)
	h.Set("x-amz-sns-topic-arn", sub.TopicARN)
	if kind == event.SNSTypeNotification {
		h.Set("x-amz-sns-subscription-arn", sub.ARN)
		if sub.Raw() {
			h.Set("x-amz-sns-rawdelivery", "true")
		}
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// truncate keeps the first n bytes of b for a log line.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
