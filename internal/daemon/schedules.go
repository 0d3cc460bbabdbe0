package daemon

import (
	"context"
	"encoding/json"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/gateway"
	schedulerapi "github.com/updraft-dev/updraft/internal/gateway/scheduler"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/schedule"
	"github.com/updraft-dev/updraft/internal/store"
)

// openSchedules opens the schedules, delivering their ticks through the
// asynchronous-invocation queue (the function's retries and destinations
// apply), and registers updraft.yaml's `type: schedule` with ctl. Call
// before ctl starts; startSchedules begins firing.
func (d *Daemon) openSchedules(ctx context.Context, st *store.Store, reg *registry.Registry, ctl *control.Control, q *async.Queue) (*schedule.Service, error) {
	svc, err := schedule.Open(ctx, st, schedule.Config{
		Deliver: func(ctx context.Context, dl schedule.Delivery) error {
			return q.EnqueueOnce(ctx, &async.Event{
				RequestID: dl.ID, Tenant: dl.Tenant, Function: dl.Function, Qualifier: dl.Qualifier,
				Payload: json.RawMessage(dl.Payload),
			})
		},
		FunctionExists: func(ctx context.Context, tenant, name string) error {
			_, err := reg.GetFunction(ctx, tenant, name)
			return err
		},
		Log: d.log,
	})
	if err != nil {
		return nil, err
	}
	ctl.RegisterTrigger("schedule", svc.Trigger())
	ctl.RegisterTenantResources(svc.TenantResources())
	return svc, nil
}

// startSchedules runs this node's firing loop until the daemon closes.
func (d *Daemon) startSchedules(ctx context.Context, svc *schedule.Service) error {
	if err := svc.Start(ctx); err != nil {
		return err
	}
	d.onClose(svc.Close)
	return nil
}

// mountScheduler serves EventBridge Scheduler's API on the endpoint.
func (d *Daemon) mountScheduler(gw *gateway.Gateway, svc *schedule.Service) {
	gw.Mount(gateway.Service{Name: "scheduler", Handler: schedulerapi.New(svc, d.log).Serve})
}
