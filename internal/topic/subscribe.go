package topic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// Subscription protocols.
const (
	ProtoSQS    = "sqs"
	ProtoLambda = "lambda"
	ProtoHTTP   = "http"
	ProtoHTTPS  = "https"
)

// Subscription attribute names.
const (
	AttrFilterPolicy      = "FilterPolicy"
	AttrFilterPolicyScope = "FilterPolicyScope"
	AttrRawDelivery       = "RawMessageDelivery"
	AttrRedrivePolicy     = "RedrivePolicy"
)

// Subscription is one subscriber of a topic.
type Subscription struct {
	ID       string `json:"id"`
	ARN      string `json:"arn"`
	Tenant   string `json:"tenant"`
	Topic    string `json:"topic"`
	TopicARN string `json:"topic_arn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	// Attributes are the settable ones: FilterPolicy, FilterPolicyScope,
	// RawMessageDelivery, RedrivePolicy, DeliveryPolicy.
	Attributes map[string]string `json:"attributes,omitempty"`
	Pending    bool              `json:"pending,omitempty"` // HTTP/S until confirmed
	Token      string            `json:"token,omitempty"`
	// Authenticated: confirmed by an authenticated ConfirmSubscription
	// (or not needing confirmation).
	Authenticated bool      `json:"authenticated"`
	Created       time.Time `json:"created"`
}

// Raw reports whether messages are delivered without the SNS envelope.
func (s *Subscription) Raw() bool { return s.Attributes[AttrRawDelivery] == "true" }

// AttributeMap is the subscription's attributes as GetSubscriptionAttributes
// returns them.
func (s *Subscription) AttributeMap() map[string]string {
	m := map[string]string{
		"SubscriptionArn": s.ARN, "TopicArn": s.TopicARN, "Owner": fn.AccountID(s.Tenant),
		"Protocol": s.Protocol, "Endpoint": s.Endpoint,
		"PendingConfirmation":          strconv.FormatBool(s.Pending),
		"ConfirmationWasAuthenticated": strconv.FormatBool(s.Authenticated),
		AttrRawDelivery:                "false",
		"SubscriptionPrincipal":        "arn:aws:iam::" + fn.AccountID(s.Tenant) + ":root",
	}
	for k, v := range s.Attributes {
		m[k] = v
	}
	if m[AttrFilterPolicy] != "" && m[AttrFilterPolicyScope] == "" {
		m[AttrFilterPolicyScope] = "MessageAttributes"
	}
	return m
}

// filter returns the subscription's parsed filter policy, nil for none.
func (s *Subscription) filter() (*FilterPolicy, error) {
	p := s.Attributes[AttrFilterPolicy]
	if p == "" {
		return nil, nil
	}
	return ParseFilterPolicy(p, s.Attributes[AttrFilterPolicyScope])
}

func subKey(tenant, topic, id string) string {
	return "s." + keyPart(tenant) + "." + keyPart(topic) + "." + id
}

// SubscriptionARN is the ARN of subscription id of a topic.
func SubscriptionARN(topicARN, id string) string { return topicARN + ":" + id }

// parseSubscriptionARN returns the topic name and id of a subscription ARN
// of tenant's account.
func parseSubscriptionARN(tenant, arn string) (topic, id string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "sns" {
		return "", "", fn.InvalidParameter("Invalid parameter: SubscriptionArn: %q is not a subscription ARN (TOPIC_ARN:ID)", arn)
	}
	if parts[4] != fn.AccountID(tenant) {
		return "", "", subscriptionNotFound(arn)
	}
	return parts[5], parts[6], nil
}

func subscriptionNotFound(arn string) error {
	return fn.NotFound("Subscription does not exist: %s", arn)
}

// Subscribe adds a subscriber to tenant's topic. Subscribing the same
// protocol and endpoint again returns the existing subscription. An
// HTTP/S subscription is pending until ConfirmSubscription: its endpoint
// is sent a SubscriptionConfirmation message with the token.
func (s *Service) Subscribe(ctx context.Context, tenant, topicARN, protocol, endpoint string, attrs map[string]string) (*Subscription, error) {
	t, err := s.GetTopic(ctx, tenant, topicARN)
	if err != nil {
		return nil, err
	}
	if err := s.checkEndpoint(ctx, tenant, t, protocol, endpoint); err != nil {
		return nil, err
	}
	sub := &Subscription{
		ID: queue.NewID(), Tenant: tenant, Topic: t.Name, TopicARN: t.ARN, Protocol: protocol,
		Endpoint: endpoint, Attributes: map[string]string{}, Authenticated: true, Created: time.Now().UTC(),
	}
	sub.ARN = SubscriptionARN(t.ARN, sub.ID)
	for k, v := range attrs {
		sub.Attributes[k] = v
	}
	for k, v := range attrs {
		if err := s.checkAttribute(ctx, sub, k, v); err != nil {
			return nil, err
		}
	}
	existing, err := s.ListSubscriptions(ctx, tenant, t.ARN)
	if err != nil {
		return nil, err
	}
	for _, e := range existing {
		if e.Protocol == protocol && e.Endpoint == endpoint {
			for k, v := range attrs {
				if e.Attributes[k] != v {
					return nil, fn.InvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes (%s): change them with SetSubscriptionAttributes", k)
				}
			}
			return e, nil
		}
	}
	web := protocol == ProtoHTTP || protocol == ProtoHTTPS
	if web {
		sub.Pending, sub.Authenticated, sub.Token = true, false, newToken()
		if _, err := s.cfg.Queues.Create(ctx, deliveryQueue(sub), queue.Config{}); err != nil {
			return nil, fmt.Errorf("topic: delivery queue of %s: %w", sub.ARN, err)
		}
	}
	data, _ := json.Marshal(sub)
	if _, err := s.kv.Create(ctx, subKey(tenant, t.Name, sub.ID), data); err != nil {
		return nil, fmt.Errorf("topic: store subscription %s: %w", sub.ARN, err)
	}
	if web {
		ref, _ := json.Marshal(tokenRef{Tenant: tenant, SubscriptionARN: sub.ARN})
		if _, err := s.kv.Put(ctx, tokenKey(sub.Token), ref); err != nil {
			return nil, fmt.Errorf("topic: store the confirmation token of %s: %w", sub.ARN, err)
		}
		if err := s.sendConfirmation(ctx, sub); err != nil {
			return nil, err
		}
		s.startLoop(sub)
	}
	return sub, nil
}

func newToken() string {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkEndpoint refuses a protocol or endpoint this server cannot deliver
// to, or another account's queue or function.
func (s *Service) checkEndpoint(ctx context.Context, tenant string, t *Topic, protocol, endpoint string) error {
	if t.FIFO() && protocol != ProtoSQS {
		return fn.InvalidParameter("Invalid parameter: Invalid protocol type: %s: a FIFO topic delivers to SQS FIFO queues only", protocol)
	}
	switch protocol {
	case ProtoSQS:
		name, err := arnResource(tenant, endpoint, "sqs", "")
		if err != nil {
			return err
		}
		q, err := s.cfg.Queues.Get(ctx, queue.ID{Tenant: tenant, Name: name})
		if errors.Is(err, queue.ErrNotFound) {
			return fn.InvalidParameter("Invalid parameter: Endpoint: the queue %s does not exist: create it first", endpoint)
		} else if err != nil {
			return err
		}
		if q.FIFO != t.FIFO() {
			return fn.InvalidParameter("Invalid parameter: Endpoint: a FIFO topic delivers to FIFO queues and a standard topic to standard queues; %s is not one", endpoint)
		}
	case ProtoLambda:
		if _, err := arnResource(tenant, endpoint, "lambda", "function:"); err != nil {
			return err
		}
	case ProtoHTTP, ProtoHTTPS:
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return fn.InvalidParameter("Invalid parameter: Endpoint must match the specified protocol: %q is not a %s:// URL", endpoint, protocol)
		}
		if !s.allowedHost(u.Hostname()) {
			return fn.InvalidParameter("Invalid parameter: Endpoint: %s is not reachable from this server: HTTP/S subscribers must listen on a loopback address (127.0.0.1, ::1, localhost)", u.Hostname())
		}
	default:
		return fn.InvalidParameter("Invalid parameter: Amazon SNS does not support this protocol string: %q; this server delivers to sqs, lambda, http and https", protocol)
	}
	return nil
}

// arnResource returns the resource of an ARN of service in tenant's
// account (after kind, e.g. "function:"); another account's is refused.
func arnResource(tenant, arn, service, kind string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service || !strings.HasPrefix(parts[5], kind) || parts[5] == kind {
		return "", fn.InvalidParameter("Invalid parameter: Endpoint: %q is not a %s ARN (arn:aws:%s:%s:%s:%sNAME)", arn, service, service, fn.Region, fn.AccountID(tenant), kind)
	}
	if parts[4] != fn.AccountID(tenant) {
		return "", fn.AccessDenied("Authorization error: %s belongs to another account: subscribe endpoints of your own account (%s)", arn, fn.AccountID(tenant))
	}
	return strings.TrimPrefix(parts[5], kind), nil
}

// allowedHost: loopback addresses, localhost and the configured hosts.
func (s *Service) allowedHost(host string) bool {
	if host == "localhost" || slices.Contains(s.cfg.AllowHosts, host) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkAttribute validates one settable subscription attribute.
func (s *Service) checkAttribute(ctx context.Context, sub *Subscription, name, value string) error {
	switch name {
	case AttrFilterPolicy:
		if value == "" {
			return nil
		}
		if _, err := ParseFilterPolicy(value, sub.Attributes[AttrFilterPolicyScope]); err != nil {
			return err
		}
	case AttrFilterPolicyScope:
		if value != "MessageAttributes" && value != "MessageBody" {
			return fn.InvalidParameter("Invalid parameter: FilterPolicyScope: %q: use MessageAttributes or MessageBody", value)
		}
		if p := sub.Attributes[AttrFilterPolicy]; p != "" {
			if _, err := ParseFilterPolicy(p, value); err != nil {
				return err
			}
		}
	case AttrRawDelivery:
		if value != "true" && value != "false" {
			return fn.InvalidParameter("Invalid parameter: RawMessageDelivery: %q: use true or false", value)
		}
		if value == "true" && sub.Protocol == ProtoLambda {
			return fn.InvalidParameter("Invalid parameter: RawMessageDelivery applies to sqs, http and https subscriptions, not lambda")
		}
	case AttrRedrivePolicy:
		var rp struct {
			Target string `json:"deadLetterTargetArn"`
		}
		if err := json.Unmarshal([]byte(value), &rp); err != nil || rp.Target == "" {
			return fn.InvalidParameter(`Invalid parameter: RedrivePolicy: expected {"deadLetterTargetArn":"arn:aws:sqs:..."}`)
		}
		name, err := arnResource(sub.Tenant, rp.Target, "sqs", "")
		if err != nil {
			return err
		}
		if _, err := s.cfg.Queues.Get(ctx, queue.ID{Tenant: sub.Tenant, Name: name}); err != nil {
			return fn.InvalidParameter("Invalid parameter: RedrivePolicy: the dead-letter queue %s does not exist", rp.Target)
		}
	case AttrDeliveryPolicy:
		if _, err := parseDeliveryPolicy(value); err != nil {
			return err
		}
	default:
		return fn.InvalidParameter("Invalid parameter: AttributeName: %s: settable are FilterPolicy, FilterPolicyScope, RawMessageDelivery, RedrivePolicy, DeliveryPolicy", name)
	}
	return nil
}

// GetSubscription returns tenant's subscription by ARN.
func (s *Service) GetSubscription(ctx context.Context, tenant, arn string) (*Subscription, error) {
	sub, _, err := s.getSubscription(ctx, tenant, arn)
	return sub, err
}

func (s *Service) getSubscription(ctx context.Context, tenant, arn string) (*Subscription, uint64, error) {
	topic, id, err := parseSubscriptionARN(tenant, arn)
	if err != nil {
		return nil, 0, err
	}
	e, err := s.kv.Get(ctx, subKey(tenant, topic, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return nil, 0, subscriptionNotFound(arn)
	} else if err != nil {
		return nil, 0, fmt.Errorf("topic: read subscription %s: %w", arn, err)
	}
	var sub Subscription
	if err := json.Unmarshal(e.Value(), &sub); err != nil {
		return nil, 0, fmt.Errorf("topic: decode subscription %s: %w", arn, err)
	}
	return &sub, e.Revision(), nil
}

// updateSubscription applies change to a stored subscription.
func (s *Service) updateSubscription(ctx context.Context, tenant, arn string, change func(*Subscription) error) (*Subscription, error) {
	for {
		sub, rev, err := s.getSubscription(ctx, tenant, arn)
		if err != nil {
			return nil, err
		}
		if err := change(sub); err != nil {
			return nil, err
		}
		data, _ := json.Marshal(sub)
		if _, err := s.kv.Update(ctx, subKey(tenant, sub.Topic, sub.ID), data, rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			return nil, fmt.Errorf("topic: store subscription %s: %w", arn, err)
		}
		return sub, nil
	}
}

// SetSubscriptionAttribute sets one attribute ("" removes a filter policy).
func (s *Service) SetSubscriptionAttribute(ctx context.Context, tenant, arn, name, value string) error {
	_, err := s.updateSubscription(ctx, tenant, arn, func(sub *Subscription) error {
		if err := s.checkAttribute(ctx, sub, name, value); err != nil {
			return err
		}
		if sub.Attributes == nil {
			sub.Attributes = map[string]string{}
		}
		if value == "" && name == AttrFilterPolicy {
			delete(sub.Attributes, name)
			return nil
		}
		sub.Attributes[name] = value
		return nil
	})
	return err
}

// Unsubscribe deletes a subscription (and an HTTP/S one's delivery queue).
func (s *Service) Unsubscribe(ctx context.Context, tenant, arn string) error {
	sub, _, err := s.getSubscription(ctx, tenant, arn)
	if err != nil {
		return err
	}
	if err := s.kv.Purge(ctx, subKey(tenant, sub.Topic, sub.ID)); err != nil {
		return fmt.Errorf("topic: delete subscription %s: %w", arn, err)
	}
	if sub.Protocol == ProtoHTTP || sub.Protocol == ProtoHTTPS {
		if err := s.kv.Purge(ctx, tokenKey(sub.Token)); err != nil {
			return fmt.Errorf("topic: delete the confirmation token of %s: %w", arn, err)
		}
		s.stopLoop(sub.ID)
		if err := s.cfg.Queues.Delete(ctx, deliveryQueue(sub)); err != nil && !errors.Is(err, queue.ErrNotFound) {
			return fmt.Errorf("topic: delete delivery queue of %s: %w", arn, err)
		}
	}
	return nil
}

// ListSubscriptions returns the subscriptions of tenant's topic, or with
// topicARN "" all of tenant's, sorted by topic and creation.
func (s *Service) ListSubscriptions(ctx context.Context, tenant, topicARN string) ([]*Subscription, error) {
	filter := "s." + keyPart(tenant) + ".>"
	if topicARN != "" {
		name, err := NameOf(tenant, topicARN)
		if err != nil {
			return nil, err
		}
		filter = "s." + keyPart(tenant) + "." + keyPart(name) + ".*"
	}
	var out []*Subscription
	err := s.each(ctx, filter, func(data []byte) error {
		var sub Subscription
		if err := json.Unmarshal(data, &sub); err != nil {
			return err
		}
		out = append(out, &sub)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Created.Before(out[j].Created)
	})
	return out, nil
}
