package daemon

import (
	"context"
	"errors"
	"strings"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/mapping"
	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/store"
)

// observe exports, at each scrape, the pool's instances, every async
// queue, every event-source mapping's source queue and the store's health.
func observe(mx *metrics.Metrics, pl *pool.Pool, qm *queue.Manager, ms *mapping.Store, st *store.Store, reg *registry.Registry) {
	tenants := func(ctx context.Context) ([]string, error) {
		ts, err := reg.ListTenants(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = t.Name
		}
		return out, nil
	}
	mx.Observe(metrics.Sources{
		Store: st.Healthy,
		Instances: func() []metrics.Instances {
			var out []metrics.Instances
			for _, s := range pl.Stats() {
				// Pool keys are tenant/function/version/revision (router.Target).
				parts := strings.SplitN(s.Key, "/", 3)
				if len(parts) < 3 {
					continue
				}
				out = append(out, metrics.Instances{Tenant: parts[0], Function: parts[1],
					Idle: s.Idle, Busy: s.Busy, Starting: s.Starting, Provisioned: s.Provisioned})
			}
			return out
		},
		Async: func(ctx context.Context) ([]metrics.Queue, error) {
			ts, err := tenants(ctx)
			if err != nil {
				return nil, err
			}
			var out []metrics.Queue
			var errs []error
			for _, t := range ts {
				ids, err := qm.List(ctx, t, async.QueuePrefix)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, id := range ids {
					q, err := queueStats(ctx, qm, id)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					q.Function = strings.TrimPrefix(id.Name, async.QueuePrefix)
					out = append(out, q)
				}
			}
			return out, errors.Join(errs...)
		},
		Mappings: func(ctx context.Context) ([]metrics.Queue, error) {
			ts, err := tenants(ctx)
			if err != nil {
				return nil, err
			}
			var out []metrics.Queue
			var errs []error
			for _, t := range ts {
				maps, err := ms.List(ctx, t)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, m := range maps {
					q, err := queueStats(ctx, qm, m.QueueID())
					if err != nil {
						errs = append(errs, err)
						continue
					}
					q.Function, q.Queue = m.Function, m.Queue
					out = append(out, q)
				}
			}
			return out, errors.Join(errs...)
		},
	})
}

func queueStats(ctx context.Context, qm *queue.Manager, id queue.ID) (metrics.Queue, error) {
	s, err := qm.Stats(ctx, id)
	if err != nil {
		return metrics.Queue{}, err
	}
	return metrics.Queue{Tenant: id.Tenant, Visible: s.Visible, InFlight: s.InFlight, Delayed: s.Delayed, Oldest: s.Oldest}, nil
}
