package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/gateway"
	"github.com/updraft-dev/updraft/internal/gateway/sqs"
	"github.com/updraft-dev/updraft/internal/queue"
)

// services are the domain components behind the AWS-compatible APIs.
type services struct {
	queues *queue.Manager
}

// mountServices mounts the AWS-compatible APIs on the one endpoint, each
// as a thin adapter (internal/gateway/<protocol>) over its domain package.
func (d *Daemon) mountServices(ctx context.Context, gw *gateway.Gateway, s services) error {
	_ = ctx
	gw.Mount(gateway.Service{Name: "sqs", TargetPrefixes: []string{"AmazonSQS"}, Handler: sqs.New(s.queues, d.log).Serve})
	return nil
}
