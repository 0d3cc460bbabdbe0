package daemon

import (
	"context"
	"encoding/json"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway"
	snsapi "github.com/updraft-dev/updraft/internal/gateway/sns"
	"github.com/updraft-dev/updraft/internal/gateway/sqs"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/topic"
)

// services are the domain components behind the AWS-compatible APIs.
type services struct {
	queues *queue.Manager
	async  *async.Queue
	ctl    *control.Control
}

// mountServices mounts the AWS-compatible APIs on the one endpoint, each
// as a thin adapter (internal/gateway/<protocol>) over its domain package.
func (d *Daemon) mountServices(ctx context.Context, gw *gateway.Gateway, s services) error {
	topics, err := topic.New(ctx, topic.Config{
		Store: d.st, Queues: s.queues, Invoker: asyncInvoker{s.async}, Log: d.log,
		Endpoint: func() string { return "http://" + d.Addr() + "/" },
	})
	if err != nil {
		return err
	}
	if err := topics.Start(ctx); err != nil {
		return err
	}
	d.onClose(topics.Close)
	d.topics.Store(topics)
	s.ctl.RegisterTenantResources(topicResources{topics})
	snsAPI := snsapi.New(topics, d.log)
	gw.Mount(gateway.Service{Name: "sns", Handler: snsAPI.Serve, UnsignedActions: snsapi.UnsignedActions, Unsigned: snsAPI.ServeUnsigned})
	gw.Mount(gateway.Service{Name: "sqs", TargetPrefixes: []string{"AmazonSQS"}, Handler: sqs.New(s.queues, d.log).Serve})
	if err := d.mountTables(ctx, gw, s.ctl); err != nil {
		return err
	}
	return d.startObjects(ctx, gw, s, topics)
}

// publishToTopic publishes an asynchronous invocation's destination or
// dead-letter record to a topic of tenant; dedup makes a repeated delivery
// (after a crash) store each subscriber's copy once.
func (d *Daemon) publishToTopic(ctx context.Context, tenant, name, dedup string, message []byte) error {
	topics := d.topics.Load()
	if topics == nil {
		return fn.Unavailable("topics are not started yet: the record is delivered on a retry")
	}
	_, err := topics.Publish(ctx, tenant, topic.Message{TopicARN: topic.ARN(tenant, name), Message: string(message), IdempotencyKey: dedup})
	return err
}

// topicExists tells control whether tenant has the topic name (a
// destination or dead-letter target).
func (d *Daemon) topicExists(ctx context.Context, tenant, name string) (bool, error) {
	topics := d.topics.Load()
	if topics == nil {
		return false, fn.Unavailable("topics are not started yet: retry")
	}
	_, err := topics.GetTopic(ctx, tenant, topic.ARN(tenant, name))
	if fn.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// asyncInvoker lets topics invoke lambda subscribers through the
// asynchronous-invocation queue (retries and destinations come from it).
type asyncInvoker struct{ q *async.Queue }

func (a asyncInvoker) InvokeAsync(ctx context.Context, tenant, function, qualifier, requestID string, payload []byte) error {
	return a.q.Enqueue(ctx, &async.Event{
		RequestID: requestID, Tenant: tenant, Function: function, Qualifier: qualifier, Payload: json.RawMessage(payload),
	})
}

var _ topic.AsyncInvoker = asyncInvoker{}
