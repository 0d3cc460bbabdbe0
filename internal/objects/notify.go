package objects

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
)

// Targets delivers notification events; the daemon implements it with
// the asynchronous-invoke queue, SQS queues and SNS topics, each durable
// with its own retries.
type Targets interface {
	InvokeAsync(ctx context.Context, tenant, functionARN, eventID string, payload []byte) error
	SendQueue(ctx context.Context, tenant, queueARN, eventID string, body []byte) error
	PublishTopic(ctx context.Context, tenant, topicARN, eventID, subject, message string) error
	// Exists reports whether tenant has the target (kind is one of the
	// Kind* constants).
	Exists(ctx context.Context, tenant, kind, arn string) (bool, error)
}

// Kinds of notification targets.
const (
	KindLambda = "lambda"
	KindQueue  = "queue"
	KindTopic  = "topic"
)

// NotificationConfig is a bucket's notification configuration.
type NotificationConfig struct {
	Lambda []NotificationTarget `json:"lambda,omitempty"`
	Queue  []NotificationTarget `json:"queue,omitempty"`
	Topic  []NotificationTarget `json:"topic,omitempty"`
}

// NotificationTarget sends the events it selects to one ARN.
type NotificationTarget struct {
	ID     string   `json:"id"`
	ARN    string   `json:"arn"`
	Events []string `json:"events"` // "s3:ObjectCreated:*", …
	Prefix string   `json:"prefix,omitempty"`
	Suffix string   `json:"suffix,omitempty"`
}

// eventNames are the events Updraft emits, as configurations name them.
var eventNames = []string{
	"s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
	"s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
}

func (t NotificationTarget) selects(name, key string) bool {
	if !strings.HasPrefix(key, t.Prefix) || !strings.HasSuffix(key, t.Suffix) {
		return false
	}
	for _, e := range t.Events {
		e = strings.TrimPrefix(e, "s3:")
		if e == name || strings.HasSuffix(e, ":*") && strings.HasPrefix(name, strings.TrimSuffix(e, "*")) {
			return true
		}
	}
	return false
}

// PutNotification validates and sets the bucket's notification
// configuration: every event name must be known and every target must
// exist, as S3 checks.
func (s *Service) PutNotification(ctx context.Context, tenant, bucket string, c NotificationConfig) error {
	if _, ok := s.ix.bucket(tenant, bucket); !ok {
		return noSuchBucket(bucket)
	}
	var bad []string
	check := func(kind string, ts []NotificationTarget) error {
		for i := range ts {
			t := &ts[i]
			if t.ID == "" {
				t.ID = newID()
			}
			if len(t.Events) == 0 {
				return InvalidArgument("The configuration %s selects no Event", t.ID)
			}
			for _, e := range t.Events {
				if !contains(eventNames, e) {
					return InvalidArgument("The event %s is not supported for notifications: use one of %s", e, strings.Join(eventNames, ", "))
				}
			}
			ok := false
			if s.cfg.Targets != nil {
				var err error
				if ok, err = s.cfg.Targets.Exists(ctx, tenant, kind, t.ARN); err != nil {
					return err
				}
			}
			if !ok {
				bad = append(bad, t.ARN)
			}
		}
		return nil
	}
	for kind, ts := range map[string][]NotificationTarget{KindLambda: c.Lambda, KindQueue: c.Queue, KindTopic: c.Topic} {
		if err := check(kind, ts); err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return InvalidArgument("Unable to validate the following destination configurations: %s", strings.Join(bad, ", "))
	}
	return s.updateBucket(ctx, tenant, bucket, func(b *Bucket) error {
		b.Notification = &c
		if len(c.Lambda)+len(c.Queue)+len(c.Topic) == 0 {
			b.Notification = nil
		}
		return nil
	})
}

// Caller describes who made a request, for event records.
type Caller struct {
	PrincipalID string
	SourceIP    string
	RequestID   string
}

// eventRecord is a stored notification: one event for one target.
type eventRecord struct {
	ID     string          `json:"id"`
	Tenant string          `json:"tenant"`
	Kind   string          `json:"kind"`
	Target string          `json:"target"`
	Event  json.RawMessage `json:"event"`
}

var sequencer atomic.Uint64

// events builds the event records bucket's configuration selects for a
// change of o (name is "ObjectCreated:Put", …).
func events(tenant string, b Bucket, name string, o *Object, c Caller) []pending {
	if b.Notification == nil {
		return nil
	}
	var out []pending
	seq := fmt.Sprintf("%016X", uint64(time.Now().UnixNano())+sequencer.Add(1))
	add := func(kind string, ts []NotificationTarget) {
		for _, t := range ts {
			if !t.selects(name, o.Key) {
				continue
			}
			ev := event.S3Event{Records: []event.S3EventRecord{event.NewS3Record(event.S3RecordInput{
				Region: fn.Region, Time: o.Modified, EventName: name,
				PrincipalID: c.PrincipalID, OwnerID: fn.AccountID(tenant), SourceIP: c.SourceIP, RequestID: c.RequestID,
				ConfigurationID: t.ID, Bucket: b.Name, Key: o.Key, Size: o.Size, ETag: o.ETag, Sequencer: seq,
			})}}
			body, err := event.Encode(ev)
			if err != nil {
				panic(err) // plain structs: cannot fail
			}
			id := newID()
			rec, err := json.Marshal(eventRecord{ID: id, Tenant: tenant, Kind: kind, Target: t.ARN, Event: body})
			if err != nil {
				panic(err)
			}
			out = append(out, pending{subjEvent + tok(tenant) + "." + id, rec})
		}
	}
	add(KindLambda, b.Notification.Lambda)
	add(KindQueue, b.Notification.Queue)
	add(KindTopic, b.Notification.Topic)
	return out
}

// deliver hands one event record to its target.
func (s *Service) deliver(ctx context.Context, r eventRecord) error {
	if s.cfg.Targets == nil {
		return fn.Unavailable("no notification targets are configured")
	}
	switch r.Kind {
	case KindLambda:
		return s.cfg.Targets.InvokeAsync(ctx, r.Tenant, r.Target, r.ID, r.Event)
	case KindQueue:
		return s.cfg.Targets.SendQueue(ctx, r.Tenant, r.Target, r.ID, r.Event)
	case KindTopic:
		return s.cfg.Targets.PublishTopic(ctx, r.Tenant, r.Target, r.ID, "Amazon S3 Notification", string(r.Event))
	}
	return fmt.Errorf("objects: unknown target kind %q", r.Kind)
}

// retryDelay backs off a failed delivery: 1 s, 2 s, 4 s, … up to 5 min.
func retryDelay(attempt uint64) time.Duration {
	return min(time.Second<<min(attempt-1, 9), 5*time.Minute)
}
