package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/logs"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/scheduler"
)

// Config tunes the router.
type Config struct {
	// QueueWait bounds how long a call waits for an instance when every
	// instance of its function is busy and the cap is reached.
	QueueWait time.Duration
	// Scheduler admits calls (concurrency limits); nil: a default one
	// with nothing persisted.
	Scheduler *scheduler.Scheduler
	Metrics   *metrics.Metrics
	Log       *slog.Logger
}

// Router is the invoke path.
type Router struct {
	cfg   Config
	reg   *registry.Registry
	dep   *deploy.Deployer
	pool  *pool.Pool
	logs  *logs.Logs
	meter *meter.Meter
	sched *scheduler.Scheduler
}

// New wires a router.
func New(cfg Config, reg *registry.Registry, dep *deploy.Deployer, p *pool.Pool, l *logs.Logs, m *meter.Meter) *Router {
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Scheduler == nil {
		cfg.Scheduler = scheduler.New(scheduler.Config{Metrics: cfg.Metrics, Log: cfg.Log})
	}
	return &Router{cfg: cfg, reg: reg, dep: dep, pool: p, logs: l, meter: m, sched: cfg.Scheduler}
}

// Request is one synchronous invocation.
type Request struct {
	RequestID     string
	Tenant        string
	Function      string
	Qualifier     string // "" or "$LATEST"
	Payload       []byte
	TraceID       string
	ClientContext string
	WantLogTail   bool
	Async         bool // from an async source that retries: no wait for a concurrency slot
}

// Result is what the caller gets back.
type Result struct {
	Payload         []byte
	FunctionError   string // "" or "Unhandled"
	ExecutedVersion string
	LogTail         []byte // the invocation's log, last 4 KB, when asked for

	pending *record // logs and billing not yet written; see Finish
}

// Invoke runs req synchronously.
func (r *Router) Invoke(ctx context.Context, req *Request) (*Result, error) {
	f, version, err := r.Resolve(ctx, req.Tenant, req.Function, req.Qualifier)
	if err != nil {
		return nil, err
	}
	ticket, err := r.sched.Admit(ctx, req.Tenant, req.Function, !req.Async)
	if err != nil {
		return nil, err
	}
	defer ticket.Release()
	lease, err := r.acquire(ctx, f, version)
	if err != nil {
		var ie *runtime.InitError
		if errors.As(err, &ie) {
			return r.initFailed(req, f, version, ie), nil
		}
		return nil, err
	}
	inst := lease.Instance()
	var initDur time.Duration
	var initLogs []byte
	if lease.Cold {
		initDur = inst.InitDuration()
		initLogs = inst.InitLogs()
	}
	rreq := &runtime.Request{
		ID:            req.RequestID,
		Payload:       req.Payload,
		Deadline:      time.Now().Add(f.Timeout()),
		TraceID:       req.TraceID,
		ClientContext: req.ClientContext,
	}
	// The call runs to its own deadline even if the client goes away: an
	// instance abandoned mid-call could not be reused.
	resp, err := inst.Invoke(context.WithoutCancel(ctx), rreq)
	if err != nil {
		r.pool.Release(lease, true)
		return nil, fn.Internal(fmt.Errorf("invoke %s: %w", f.Name, err))
	}
	r.pool.Release(lease, resp.Broken)
	r.cfg.Metrics.Start(lease.Cold)
	r.cfg.Metrics.Invocation(resp.Outcome, resp.Duration)

	rec := record{
		req: req, f: f, version: version, cold: lease.Cold, initDur: initDur,
		initLogs: initLogs, logs: resp.Logs, dur: resp.Duration,
		maxMem: resp.MaxMemoryMB, outcome: resp.Outcome,
	}
	res := &Result{Payload: resp.Payload, FunctionError: resp.FunctionError, ExecutedVersion: version}
	r.recordOrDefer(res, &rec)
	return res, nil
}

// recordOrDefer writes the invocation's logs and billing record now when the
// caller wants the log tail, else leaves it to Finish so that the reply goes
// out first.
func (r *Router) recordOrDefer(res *Result, rec *record) {
	if rec.req.WantLogTail {
		res.LogTail = r.record(rec)
		return
	}
	res.pending = rec
}

// Finish writes what Invoke left to record. The gateway calls it after the
// reply is on the wire; it must be called exactly once per successful Invoke.
func (r *Router) Finish(res *Result) {
	if res.pending != nil {
		r.record(res.pending)
		res.pending = nil
	}
}

func versionKey(f *fn.Function, version string) string {
	return f.Tenant + "/" + f.Name + "/" + version + "/" + strconv.FormatInt(f.Revision, 10)
}

func (r *Router) specFunc(f *fn.Function, version string) pool.SpecFunc {
	return func(ctx context.Context) (runtime.Spec, error) {
		dir, err := r.dep.CodeDir(ctx, f)
		if err != nil {
			return runtime.Spec{}, err
		}
		return runtime.Spec{
			Tenant: f.Tenant, Function: f.Name, Version: version,
			ARN: fn.ARN(f.Tenant, f.Name, ""), Runtime: f.Runtime, Handler: f.Handler,
			CodeDir: dir, MemoryMB: f.MemoryMB, Timeout: f.Timeout(), Env: f.Env,
			EphemeralMB: f.EphemeralStorageMB, Network: f.Network,
		}, nil
	}
}

func (r *Router) acquire(ctx context.Context, f *fn.Function, version string) (*pool.Lease, error) {
	key, spec := versionKey(f, version), r.specFunc(f, version)
	maxInst := r.sched.Concurrency(f.Tenant, f.Name).MaxInstances
	lease, err := r.pool.AcquireMax(ctx, r.cfg.QueueWait, key, fn.Key(f.Tenant, f.Name), maxInst, spec)
	switch {
	case err == nil:
		return lease, nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		r.cfg.Metrics.Throttle(fn.ReasonTenantLimit)
		return nil, &fn.Error{
			Status: http.StatusTooManyRequests, Type: fn.TypeTooManyRequests,
			Reason:  fn.ReasonTenantLimit,
			Message: fmt.Sprintf("Rate Exceeded: all instances of %s are busy and no instance became free within %v; retry later or lower the call rate", f.Name, r.cfg.QueueWait),
		}
	case errors.Is(err, pool.ErrRetired):
		return nil, &fn.Error{Status: http.StatusConflict, Type: fn.TypeResourceConflict, Message: fmt.Sprintf("function %s was redeployed or deleted while this call waited; retry", f.Name)}
	case errors.Is(err, pool.ErrClosed):
		return nil, &fn.Error{Status: http.StatusServiceUnavailable, Type: fn.TypeServiceUnavailable, Message: "the platform is shutting down; retry on another node or after restart"}
	}
	return nil, err
}

// initFailed turns a failed cold start into Lambda's reply: a function
// error carrying the init error, billed for the init time.
func (r *Router) initFailed(req *Request, f *fn.Function, version string, ie *runtime.InitError) *Result {
	rec := record{
		req: req, f: f, version: version, cold: true, initDur: ie.Duration,
		initLogs: ie.Logs, outcome: fn.OutcomeCrash,
	}
	r.cfg.Metrics.Start(true)
	r.cfg.Metrics.Invocation(fn.OutcomeCrash, ie.Duration)
	res := &Result{Payload: ie.Payload, FunctionError: "Unhandled", ExecutedVersion: version}
	r.recordOrDefer(res, &rec)
	return res
}

// Retire stops the instances of a function after a redeploy or delete.
// Provisioned instances are re-created for the new revision (deploy waits
// for them); a deleted function's concurrency configuration is removed.
func (r *Router) Retire(tenant, name string) {
	r.pool.Retire(fn.Key(tenant, name))
	r.afterRetire(tenant, name)
}

// Pool exposes the pool's stats.
func (r *Router) Pool() *pool.Pool { return r.pool }

// Resolve finds what a call with qualifier runs: $LATEST ("" or
// "$LATEST"), a published version ("3"), or an alias, which picks its
// version by its routing weights.
func (r *Router) Resolve(ctx context.Context, tenant, name, qualifier string) (*fn.Function, string, error) {
	if qualifier == "" || qualifier == fn.LatestVersion {
		f, err := r.reg.GetFunction(ctx, tenant, name)
		return f, fn.LatestVersion, err
	}
	version := qualifier
	if !fn.IsVersionNumber(qualifier) {
		if _, err := r.reg.GetFunction(ctx, tenant, name); err != nil {
			return nil, "", err
		}
		a, err := r.reg.GetAlias(ctx, tenant, name, qualifier)
		if err != nil {
			return nil, "", fn.NotFound("Function not found: %s (no version or alias %q)", fn.ARN(tenant, name, qualifier), qualifier)
		}
		version = PickVersion(a, rand.Float64())
		if version == fn.LatestVersion {
			f, err := r.reg.GetFunction(ctx, tenant, name)
			return f, version, err
		}
	}
	f, err := r.reg.GetVersion(ctx, tenant, name, version)
	return f, version, err
}

// PickVersion chooses the version of alias a for a uniform draw x in
// [0,1): each additional version takes its weight's share, the alias's
// own version the rest.
func PickVersion(a *fn.Alias, x float64) string {
	acc := 0.0
	for _, v := range slices.Sorted(maps.Keys(a.Weights)) {
		acc += a.Weights[v]
		if x < acc {
			return v
		}
	}
	return a.FunctionVersion
}
