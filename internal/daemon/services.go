package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/gateway"
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
	_ = gw
	_ = s
	return nil
}
