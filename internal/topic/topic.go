package topic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
)

// Bucket is the key-value bucket of topics and subscriptions.
const Bucket = "TOPICS"

// AsyncInvoker queues an asynchronous invocation of a function (Lambda's
// SNS trigger is asynchronous: retries and destinations come from that
// path). The request id de-duplicates a retried call.
type AsyncInvoker interface {
	InvokeAsync(ctx context.Context, tenant, function, qualifier, requestID string, payload []byte) error
}

// Config wires a Service.
type Config struct {
	Store   *store.Store
	Queues  *queue.Manager
	Invoker AsyncInvoker
	// Endpoint returns this server's SNS endpoint URL ("http://host:port/")
	// for SubscribeURL and UnsubscribeURL.
	Endpoint func() string
	// AllowHosts are the HTTP/S subscription hosts reachable besides
	// loopback addresses.
	AllowHosts []string
	// Client posts to HTTP/S subscribers; nil: a client with a 15 s timeout.
	Client *http.Client
	Log    *slog.Logger
}

// Topic is a topic's definition.
type Topic struct {
	Tenant     string            `json:"tenant"`
	Name       string            `json:"name"`
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes,omitempty"` // DisplayName, Policy, DeliveryPolicy, FifoTopic, ContentBasedDeduplication
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
}

// FIFO reports whether the topic is a FIFO topic.
func (t *Topic) FIFO() bool { return t.Attributes[AttrFifoTopic] == "true" }

// Topic attribute names.
const (
	AttrDisplayName     = "DisplayName"
	AttrPolicy          = "Policy"
	AttrDeliveryPolicy  = "DeliveryPolicy"
	AttrFifoTopic       = "FifoTopic"
	AttrContentBasedDup = "ContentBasedDeduplication"
)

// settableTopicAttrs are the attributes CreateTopic and SetTopicAttributes take.
var settableTopicAttrs = map[string]bool{
	AttrDisplayName: true, AttrPolicy: true, AttrDeliveryPolicy: true, AttrFifoTopic: true,
	AttrContentBasedDup: true, "KmsMasterKeyId": true, "SignatureVersion": true, "TracingConfig": true,
	"ArchivePolicy": true, "FifoThroughputScope": true,
}

// Service owns a store's topics and subscriptions and delivers published
// messages to the subscribers.
type Service struct {
	cfg Config
	kv  jetstream.KeyValue
	log *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // the delivery loops'; cancelled by Close
	cancel  context.CancelFunc
	loops   map[string]context.CancelFunc // HTTP/S subscription id → its loop
	wg      sync.WaitGroup
	started bool
}

// New opens (or creates) the bucket.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Queues == nil {
		return nil, errors.New("topic: a store and a queue manager are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Endpoint == nil {
		cfg.Endpoint = func() string { return "http://localhost/" }
	}
	kv, err := cfg.Store.KV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Description: "SNS topics and subscriptions", History: 1})
	if err != nil {
		return nil, fmt.Errorf("topic: bucket: %w", err)
	}
	return &Service{cfg: cfg, kv: kv, log: cfg.Log.With("component", "topic"), loops: map[string]context.CancelFunc{}}, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// ARN is the ARN of tenant's topic name.
func ARN(tenant, name string) string {
	return "arn:aws:sns:" + fn.Region + ":" + fn.AccountID(tenant) + ":" + name
}

// NameOf returns the topic name in a topic ARN of tenant's account, or a
// NotFound error for an ARN of another account or not a topic's.
func NameOf(tenant, arn string) (string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return "", fn.InvalidParameter("Invalid parameter: TopicArn: %q is not a topic ARN (arn:aws:sns:%s:%s:NAME)", arn, fn.Region, fn.AccountID(tenant))
	}
	if parts[4] != fn.AccountID(tenant) {
		return "", topicNotFound(arn)
	}
	return parts[5], nil
}

func topicNotFound(arn string) error { return fn.NotFound("Topic does not exist: %s", arn) }

// keys: "t.TENANT.NAME" and "s.TENANT.TOPIC.ID"; names hold no '.' except
// a ".fifo" suffix, which becomes "=fifo".
func keyPart(s string) string { return strings.ReplaceAll(s, ".", "=") }
func topicKey(tenant, name string) string {
	return "t." + keyPart(tenant) + "." + keyPart(name)
}

// CreateTopic creates a topic, or returns the existing one when created
// again with the same attributes (as SNS does).
func (s *Service) CreateTopic(ctx context.Context, tenant, name string, attrs, tags map[string]string) (*Topic, error) {
	fifo := strings.HasSuffix(name, ".fifo")
	if !nameRE.MatchString(strings.TrimSuffix(name, ".fifo")) || len(name) > 256 {
		return nil, fn.InvalidParameter("Invalid parameter: Topic Name: %q: use 1 to 256 letters, digits, hyphens and underscores (and the suffix .fifo for a FIFO topic)", name)
	}
	for k := range attrs {
		if !settableTopicAttrs[k] {
			return nil, fn.InvalidParameter("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
		}
	}
	if (attrs[AttrFifoTopic] == "true") != fifo {
		return nil, fn.InvalidParameter("Invalid parameter: Topic Name: a FIFO topic's name ends in .fifo and it sets the attribute FifoTopic to true; a standard topic does neither")
	}
	if attrs[AttrContentBasedDup] == "true" && !fifo {
		return nil, fn.InvalidParameter("Invalid parameter: Attributes Reason: ContentBasedDeduplication is only for FIFO topics")
	}
	t := &Topic{Tenant: tenant, Name: name, ARN: ARN(tenant, name), Attributes: clean(attrs), Tags: clean(tags), Created: time.Now().UTC()}
	data, _ := json.Marshal(t)
	if _, err := s.kv.Create(ctx, topicKey(tenant, name), data); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("topic: store %s: %w", t.ARN, err)
		}
		old, gerr := s.GetTopic(ctx, tenant, t.ARN)
		if gerr != nil {
			return nil, gerr
		}
		for k, v := range t.Attributes {
			if old.Attributes[k] != v {
				return nil, fn.InvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes (%s)", k)
			}
		}
		return old, nil
	}
	return t, nil
}

func clean(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// GetTopic returns tenant's topic by ARN.
func (s *Service) GetTopic(ctx context.Context, tenant, arn string) (*Topic, error) {
	name, err := NameOf(tenant, arn)
	if err != nil {
		return nil, err
	}
	t, _, err := s.getTopic(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) getTopic(ctx context.Context, tenant, name string) (*Topic, uint64, error) {
	e, err := s.kv.Get(ctx, topicKey(tenant, name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, topicNotFound(ARN(tenant, name))
	} else if err != nil {
		return nil, 0, fmt.Errorf("topic: read %s: %w", name, err)
	}
	var t Topic
	if err := json.Unmarshal(e.Value(), &t); err != nil {
		return nil, 0, fmt.Errorf("topic: decode %s: %w", name, err)
	}
	return &t, e.Revision(), nil
}

// ListTopics returns tenant's topics sorted by name.
func (s *Service) ListTopics(ctx context.Context, tenant string) ([]*Topic, error) {
	var out []*Topic
	err := s.each(ctx, "t."+keyPart(tenant)+".*", func(data []byte) error {
		var t Topic
		if err := json.Unmarshal(data, &t); err != nil {
			return err
		}
		out = append(out, &t)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// each calls f with the value of every key matching filter: one watcher
// delivers the current values and then a nil entry, so listing costs one
// round of the stream instead of a Get per key.
func (s *Service) each(ctx context.Context, filter string, f func([]byte) error) error {
	w, err := s.kv.WatchFiltered(ctx, []string{filter}, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("topic: list: %w", err)
	}
	defer func() {
		if err := w.Stop(); err != nil {
			s.log.Debug("stop list watcher", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic: list: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return nil // the current values are all delivered
			}
			if err := f(e.Value()); err != nil {
				return fmt.Errorf("topic: decode %s: %w", e.Key(), err)
			}
		}
	}
}

// UpdateTopic changes a topic's attributes or tags with change.
func (s *Service) UpdateTopic(ctx context.Context, tenant, arn string, change func(*Topic) error) (*Topic, error) {
	name, err := NameOf(tenant, arn)
	if err != nil {
		return nil, err
	}
	for {
		t, rev, err := s.getTopic(ctx, tenant, name)
		if err != nil {
			return nil, err
		}
		if err := change(t); err != nil {
			return nil, err
		}
		data, _ := json.Marshal(t)
		if _, err := s.kv.Update(ctx, topicKey(tenant, name), data, rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			return nil, fmt.Errorf("topic: store %s: %w", arn, err)
		}
		return t, nil
	}
}

// SetTopicAttribute sets one attribute of a topic.
func (s *Service) SetTopicAttribute(ctx context.Context, tenant, arn, name, value string) error {
	if !settableTopicAttrs[name] || name == AttrFifoTopic {
		return fn.InvalidParameter("Invalid parameter: AttributeName: %s cannot be set; settable: DisplayName, Policy, DeliveryPolicy, ContentBasedDeduplication", name)
	}
	_, err := s.UpdateTopic(ctx, tenant, arn, func(t *Topic) error {
		if name == AttrContentBasedDup && !t.FIFO() {
			return fn.InvalidParameter("Invalid parameter: AttributeName: ContentBasedDeduplication is only for FIFO topics")
		}
		if t.Attributes == nil {
			t.Attributes = map[string]string{}
		}
		t.Attributes[name] = value
		return nil
	})
	return err
}

// DeleteTopic deletes a topic and its subscriptions (their delivery
// queues with them). Deleting a topic that does not exist succeeds, as in
// SNS.
func (s *Service) DeleteTopic(ctx context.Context, tenant, arn string) error {
	name, err := NameOf(tenant, arn)
	if err != nil {
		if fn.IsNotFound(err) {
			return nil
		}
		return err
	}
	subs, err := s.ListSubscriptions(ctx, tenant, arn)
	if err != nil && !fn.IsNotFound(err) {
		return err
	}
	for _, sub := range subs {
		if err := s.Unsubscribe(ctx, tenant, sub.ARN); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	if err := s.kv.Purge(ctx, topicKey(tenant, name)); err != nil {
		return fmt.Errorf("topic: delete %s: %w", arn, err)
	}
	return nil
}
