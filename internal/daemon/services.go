package daemon

import (
	"context"
	"encoding/json"

	"github.com/updraft-dev/updraft/internal/async"
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
	snsAPI := snsapi.New(topics, d.log)
	gw.Mount(gateway.Service{Name: "sns", Handler: snsAPI.Serve, UnsignedActions: snsapi.UnsignedActions, Unsigned: snsAPI.ServeUnsigned})
	gw.Mount(gateway.Service{Name: "sqs", TargetPrefixes: []string{"AmazonSQS"}, Handler: sqs.New(s.queues, d.log).Serve})
	return nil
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
