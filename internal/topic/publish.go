package topic

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// Publish limits, SNS's.
const (
	MaxMessageBytes   = 256 << 10 // message and attributes
	MaxSubjectLength  = 100
	MaxAttributeCount = 10 // message attributes SNS passes on to SQS
)

// Message is one published message.
type Message struct {
	TopicARN string
	Message  string
	Subject  string
	// Structure "json": Message is a JSON object with a "default" string and
	// optional per-protocol strings ("sqs", "lambda", "http", "https").
	Structure  string
	Attributes map[string]MessageAttribute
	GroupID    string // FIFO topics
	DedupID    string // FIFO topics (or content-based de-duplication)
	// IdempotencyKey, for publishers inside the server (an asynchronous
	// invocation's destination), derives the message id of a standard
	// topic's message: publishing again with the same key within five
	// minutes stores each subscriber's copy once.
	IdempotencyKey string
}

// Published is what Publish returns.
type Published struct {
	MessageID      string
	SequenceNumber string // FIFO topics
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// validate checks m as SNS does and returns the per-protocol messages of
// a JSON-structured message.
func (m *Message) validate(t *Topic) (map[string]string, error) {
	if m.Message == "" {
		return nil, fn.InvalidParameter("Invalid parameter: Message: Empty message")
	}
	if !utf8.ValidString(m.Message) {
		return nil, fn.InvalidParameter("Invalid parameter: Message: not valid UTF-8")
	}
	if len(m.Subject) > MaxSubjectLength || strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fn.InvalidParameter("Invalid parameter: Subject: at most %d printable characters on one line", MaxSubjectLength)
	}
	size := len(m.Message)
	for name, a := range m.Attributes {
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		if err := checkAttr(name, a); err != nil {
			return nil, err
		}
	}
	if size > MaxMessageBytes {
		return nil, fn.InvalidParameter("Invalid parameter: Message too long: %d bytes with attributes, the maximum is %d", size, MaxMessageBytes)
	}
	if t.FIFO() {
		if m.GroupID == "" {
			return nil, fn.InvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		if m.DedupID == "" {
			if t.Attributes[AttrContentBasedDup] != "true" {
				return nil, fn.InvalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(m.Message))
			m.DedupID = hex.EncodeToString(sum[:])
		}
	} else if m.GroupID != "" || m.DedupID != "" {
		return nil, fn.InvalidParameter("Invalid parameter: MessageGroupId and MessageDeduplicationId are only for FIFO topics")
	}
	if m.Structure == "" {
		return nil, nil
	}
	if m.Structure != "json" {
		return nil, fn.InvalidParameter("Invalid parameter: MessageStructure: %q: the only value is json", m.Structure)
	}
	var per map[string]string
	if err := json.Unmarshal([]byte(m.Message), &per); err != nil || per["default"] == "" {
		return nil, fn.InvalidParameter(`Invalid parameter: Message Structure - JSON message body failed to parse, or has no "default" string: send {"default":"...","sqs":"...",...}`)
	}
	return per, nil
}

func checkAttr(name string, a MessageAttribute) error {
	if !attrNameRE.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") || strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon.") {
		return fn.InvalidParameter("Invalid parameter: MessageAttributes: name %q: use up to 256 letters, digits, _ - and . (not leading, trailing or doubled, not starting AWS. or Amazon.)", name)
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case a.DataType == "String.Array":
		var arr []any
		if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
			return fn.InvalidParameter("Invalid parameter: MessageAttributes: %s: a String.Array value is a JSON array, got %q", name, a.StringValue)
		}
	case base == "String":
		if a.StringValue == "" {
			return fn.InvalidParameter("Invalid parameter: MessageAttributes: %s: a String attribute needs a value", name)
		}
	case base == "Number":
		if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
			return fn.InvalidParameter("Invalid parameter: MessageAttributes: %s: %q is not a number", name, a.StringValue)
		}
	case base == "Binary":
		if len(a.BinaryValue) == 0 {
			return fn.InvalidParameter("Invalid parameter: MessageAttributes: %s: a Binary attribute needs a value", name)
		}
	default:
		return fn.InvalidParameter("Invalid parameter: MessageAttributes: %s: DataType %q: use String, Number, Binary or String.Array", name, a.DataType)
	}
	return nil
}

// Publish stores one durable delivery for every confirmed subscription
// whose filter policy matches, and returns after all of them are stored.
// Each delivery is de-duplicated by message id and subscription, so a
// Publish retried after a partial failure does not deliver twice.
func (s *Service) Publish(ctx context.Context, tenant string, m Message) (Published, error) {
	t, err := s.GetTopic(ctx, tenant, m.TopicARN)
	if err != nil {
		return Published{}, err
	}
	per, err := m.validate(t)
	if err != nil {
		return Published{}, err
	}
	out := Published{MessageID: queue.NewID()}
	if m.IdempotencyKey != "" {
		out.MessageID = uuidOf(t.ARN + "/key/" + m.IdempotencyKey)
	}
	if t.FIFO() {
		// The same de-duplication id gives the same message id, so a
		// retried publish is stored once per subscriber.
		out.MessageID = uuidOf(t.ARN + "/" + m.DedupID)
		out.SequenceNumber = fmt.Sprintf("%020d", time.Now().UnixNano())
	}
	subs, err := s.ListSubscriptions(ctx, tenant, t.ARN)
	if err != nil {
		return Published{}, err
	}
	now := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, sub := range subs {
		if sub.Pending {
			continue
		}
		p, err := sub.filter()
		if err != nil {
			return Published{}, fmt.Errorf("topic: filter policy of %s: %w", sub.ARN, err)
		}
		if p != nil && !p.Match(m.Attributes, []byte(m.Message)) {
			continue
		}
		text := m.Message
		if per != nil {
			text = per["default"]
			if v, ok := per[sub.Protocol]; ok {
				text = v
			}
		}
		in := event.SNSMessageInput{
			MessageID: out.MessageID, TopicARN: t.ARN, Subject: m.Subject, Message: text, Timestamp: now,
			Attributes: snsAttributes(m.Attributes), UnsubscribeURL: event.UnsubscribeURL(s.cfg.Endpoint(), sub.ARN),
		}
		wg.Add(1)
		go func(sub *Subscription) {
			defer wg.Done()
			if err := s.deliver(ctx, sub, in, m); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("deliver to %s: %w", sub.ARN, err))
				mu.Unlock()
			}
		}(sub)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Published{}, err
	}
	return out, nil
}

// deliver stores one subscriber's copy of a message durably.
func (s *Service) deliver(ctx context.Context, sub *Subscription, in event.SNSMessageInput, m Message) error {
	dedup := in.MessageID + "/" + sub.ID
	switch sub.Protocol {
	case ProtoLambda:
		name, _ := arnResource(sub.Tenant, sub.Endpoint, "lambda", "function:")
		function, qualifier, _ := strings.Cut(name, ":")
		payload, err := json.Marshal(event.SNSEvent{Records: []event.SNSEventRecord{event.NewSNSRecord(in, sub.ARN)}})
		if err != nil {
			return err
		}
		if s.cfg.Invoker == nil {
			return fn.Unavailable("this server has no asynchronous invoker for lambda subscriptions")
		}
		return s.cfg.Invoker.InvokeAsync(ctx, sub.Tenant, function, qualifier, uuidOf(dedup), payload)
	case ProtoSQS:
		name, _ := arnResource(sub.Tenant, sub.Endpoint, "sqs", "")
		body, err := body(sub, in)
		if err != nil {
			return err
		}
		msg := queue.Message{DedupID: dedup, Body: body, Group: m.GroupID}
		if sub.Raw() && len(m.Attributes) > 0 {
			msg.Attributes = sqsAttributes(m.Attributes, sub.Tenant)
		}
		_, err = s.cfg.Queues.Send(ctx, queue.ID{Tenant: sub.Tenant, Name: name}, msg)
		if errors.Is(err, queue.ErrNotFound) {
			// The queue was deleted after Subscribe: as with SNS, that
			// subscriber misses the message and the others still get it.
			s.log.Warn("subscribed queue does not exist: message not delivered", "tenant", sub.Tenant,
				"subscription", sub.ARN, "queue", sub.Endpoint, "message_id", in.MessageID)
			return nil
		}
		return err
	case ProtoHTTP, ProtoHTTPS:
		body, err := body(sub, in)
		if err != nil {
			return err
		}
		msg := queue.Message{ID: in.MessageID, DedupID: dedup, Body: body, Attributes: []byte(event.SNSTypeNotification)}
		_, err = s.cfg.Queues.Send(ctx, deliveryQueue(sub), msg)
		return err
	}
	return fmt.Errorf("topic: subscription %s has unknown protocol %q", sub.ARN, sub.Protocol)
}

// body is what an SQS or HTTP/S subscriber receives: the envelope, or the
// message itself with raw delivery.
func body(sub *Subscription, in event.SNSMessageInput) ([]byte, error) {
	if sub.Raw() {
		return []byte(in.Message), nil
	}
	return json.Marshal(event.NewSNSNotification(in))
}

// snsAttributes converts message attributes to the envelope's form.
func snsAttributes(attrs map[string]MessageAttribute) map[string]event.SNSMessageAttribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]event.SNSMessageAttribute, len(attrs))
	for k, a := range attrs {
		v := a.StringValue
		if strings.HasPrefix(a.DataType, "Binary") {
			v = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		out[k] = event.SNSMessageAttribute{Type: a.DataType, Value: v}
	}
	return out
}

// uuidOf derives a UUID-shaped id from s, so the same input gives the
// same id (for de-duplication downstream).
func uuidOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sqsAttributes encodes message attributes for raw delivery to a queue in
// the SQS API's stored form (event.SQSStored), so the SQS API and event
// source mappings return them as the message's MessageAttributes.
func sqsAttributes(attrs map[string]MessageAttribute, tenant string) []byte {
	st := event.SQSStored{Attrs: make(map[string]event.SQSStoredAttribute, len(attrs)), Sender: fn.AccountID(tenant)}
	for k, a := range attrs {
		v := event.SQSStoredAttribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
		if len(a.BinaryValue) == 0 {
			sv := a.StringValue
			v.StringValue = &sv
		}
		st.Attrs[k] = v
	}
	b, _ := json.Marshal(st)
	return b
}
