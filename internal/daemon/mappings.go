package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/mapping"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/store"
)

// startMappings opens the event source mappings, runs this node's loops
// (invoking through inv) and returns the management sequences over them.
func (d *Daemon) startMappings(ctx context.Context, st *store.Store, reg *registry.Registry, qm *queue.Manager, inv fn.Invoker) (*control.Mappings, error) {
	d.qm = qm
	ms, err := mapping.Open(ctx, st, d.log)
	if err != nil {
		return nil, err
	}
	d.ms = ms
	run, err := mapping.NewRunner(ms, qm, inv, mapping.Config{Log: d.log, Streams: tableStreams{d}, Publish: d.publishToTopic})
	if err != nil {
		return nil, err
	}
	d.onClose(run.Close)
	if err := run.Start(ctx); err != nil {
		return nil, err
	}
	cm := control.NewMappings(reg, qm, ms, run)
	cm.SetStreams(tableStreams{d})
	return cm, nil
}

// Queues exposes the queue manager (tests put messages in queues with it).
func (d *Daemon) Queues() *queue.Manager { return d.qm }
