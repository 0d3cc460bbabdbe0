package router

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/scheduler"
)

// Scheduler exposes the concurrency accounting.
func (r *Router) Scheduler() *scheduler.Scheduler { return r.sched }

// MetricsHandler serves the Prometheus counters, or nil without metrics.
func (r *Router) MetricsHandler() http.Handler {
	if r.cfg.Metrics == nil {
		return nil
	}
	return r.cfg.Metrics.Handler()
}

// GetConcurrency returns tenant's function name's scaling configuration.
func (r *Router) GetConcurrency(ctx context.Context, tenant, name string) (fn.Concurrency, error) {
	if _, err := r.reg.GetFunction(ctx, tenant, name); err != nil {
		return fn.Concurrency{}, err
	}
	return r.sched.Concurrency(tenant, name), nil
}

// PutConcurrency stores cc for an existing function and applies it: with
// provisioned concurrency it returns once that many instances are ready.
func (r *Router) PutConcurrency(ctx context.Context, tenant, name string, cc fn.Concurrency) error {
	f, err := r.reg.GetFunction(ctx, tenant, name)
	if err != nil {
		return err
	}
	if err := r.sched.SetConcurrency(ctx, tenant, name, cc); err != nil {
		return err
	}
	return r.provision(ctx, f, cc)
}

// DeleteConcurrency removes a function's configuration and its provisioned
// instances.
func (r *Router) DeleteConcurrency(ctx context.Context, tenant, name string) error {
	f, err := r.reg.GetFunction(ctx, tenant, name)
	if err != nil {
		return err
	}
	if err := r.sched.DeleteConcurrency(ctx, tenant, name); err != nil {
		return err
	}
	return r.provision(ctx, f, fn.Concurrency{})
}

// Instances is the visible state of a function's instances.
type Instances struct {
	Function    string          `json:"function"`
	Concurrency fn.Concurrency  `json:"concurrency"`
	InFlight    int             `json:"in_flight"`
	Instances   []pool.Instance `json:"instances"`
	Versions    []pool.Stats    `json:"versions"`
	Throttles   scheduler.Stats `json:"tenant"`
}

// Instances reports a function's instances and their states.
func (r *Router) Instances(ctx context.Context, tenant, name string) (*Instances, error) {
	if _, err := r.reg.GetFunction(ctx, tenant, name); err != nil {
		return nil, err
	}
	owner := fn.Key(tenant, name)
	out := &Instances{Function: name, Concurrency: r.sched.Concurrency(tenant, name),
		InFlight: r.sched.InFlight(tenant, name), Throttles: r.sched.Stats(tenant)}
	out.Instances, out.Versions = r.pool.Instances(owner)
	if out.Instances == nil {
		out.Instances = []pool.Instance{}
	}
	sort.Slice(out.Versions, func(i, j int) bool { return out.Versions[i].Key < out.Versions[j].Key })
	return out, nil
}

// provision applies cc's provisioned concurrency to f's $LATEST.
func (r *Router) provision(ctx context.Context, f *fn.Function, cc fn.Concurrency) error {
	version := fn.LatestVersion
	err := r.pool.Provision(ctx, versionKey(f, version), fn.Key(f.Tenant, f.Name), r.specFunc(f, version), cc.Provisioned)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pool.ErrRetired):
		return &fn.Error{Status: http.StatusConflict, Type: fn.TypeResourceConflict, Message: fmt.Sprintf("function %s was redeployed or deleted while its provisioned instances started; retry", f.Name)}
	case errors.Is(err, pool.ErrClosed):
		return &fn.Error{Status: http.StatusServiceUnavailable, Type: fn.TypeServiceUnavailable, Message: "the platform is shutting down"}
	case ctx.Err() != nil:
		return err
	}
	return &fn.Error{Status: http.StatusBadGateway, Type: fn.TypeService, Message: fmt.Sprintf("a provisioned instance of %s failed to start; the setting is saved and the platform keeps trying: check `updraft logs %s`", f.Name, f.Name), Err: err}
}

// provisionTimeout bounds re-creating provisioned instances on redeploy.
const provisionTimeout = time.Minute

// afterRetire re-provisions a redeployed function, or forgets a deleted
// one's concurrency configuration.
func (r *Router) afterRetire(tenant, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), provisionTimeout)
	defer cancel()
	f, err := r.reg.GetFunction(ctx, tenant, name)
	if fn.IsNotFound(err) {
		if err := r.sched.DeleteConcurrency(ctx, tenant, name); err != nil {
			r.cfg.Log.Warn("forgetting concurrency of deleted function", "tenant", tenant, "fn", name, "err", err)
		}
		return
	}
	cc := r.sched.Concurrency(tenant, name)
	if err != nil || cc.Provisioned == 0 {
		return
	}
	if err := r.provision(ctx, f, cc); err != nil {
		r.cfg.Log.Warn("re-provisioning after redeploy", "tenant", tenant, "fn", name, "err", err)
	}
}

// ProvisionAll starts the provisioned instances of every function, e.g.
// after a restart; failures are logged (the pool keeps topping up).
func (r *Router) ProvisionAll(ctx context.Context) {
	for key, cc := range r.sched.All() {
		if cc.Provisioned == 0 {
			continue
		}
		tenant, name, _ := strings.Cut(key, "/")
		f, err := r.reg.GetFunction(ctx, tenant, name)
		if err != nil {
			continue
		}
		if err := r.provision(ctx, f, cc); err != nil {
			r.cfg.Log.Warn("provisioning at start", "tenant", tenant, "fn", name, "err", err)
		}
	}
}
