package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
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
	"github.com/updraft-dev/updraft/internal/trace"
)

// Config tunes the router.
type Config struct {
	Metrics *metrics.Metrics
	// Tracer makes the admission, instance and function spans of a call
	// under its caller's span (nil: none).
	Tracer *trace.Tracer
	Log    *slog.Logger
	// Endpoint returns the platform's AWS-compatible endpoint (host:port)
	// for instances' AWS_ENDPOINT_URL; nil gives instances no AWS access.
	Endpoint func() string
	// SessionLifetime is how long an instance's credentials last
	// (registry.MaxSessionLifetime when 0); the pool retires instances
	// well before.
	SessionLifetime time.Duration
	// Quotas returns a tenant's quotas (nil: none); Month counts this
	// month's usage against them (quota.go).
	Quotas func(tenant string) fn.Quotas
	Month  *meter.Month
}

// Router is the invoke path: resolve the version, admit the call and take
// an instance (the scheduler), invoke, record.
type Router struct {
	cfg   Config
	reg   *registry.Registry
	dep   *deploy.Deployer
	logs  *logs.Logs
	meter *meter.Meter
	sched *scheduler.Scheduler
}

var _ fn.Invoker = (*Router)(nil)

// New wires a router.
func New(cfg Config, reg *registry.Registry, dep *deploy.Deployer, s *scheduler.Scheduler, l *logs.Logs, m *meter.Meter) *Router {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Router{cfg: cfg, reg: reg, dep: dep, logs: l, meter: m, sched: s}
}

// Invoke runs req synchronously.
func (r *Router) Invoke(ctx context.Context, req *fn.Request) (*fn.Result, error) {
	f, version, err := r.Resolve(ctx, req.Tenant, req.Function, req.Qualifier)
	if err != nil {
		return nil, err
	}
	if err := r.checkQuota(ctx, req.Tenant); err != nil {
		return nil, err
	}
	actx, admission := r.cfg.Tracer.Start(ctx, "admission")
	lease, err := r.acquire(actx, f, version, !req.Async)
	if errors.Is(err, pool.ErrRetired) {
		// Redeployed while it waited: once more, on the new revision.
		if f, version, err = r.Resolve(ctx, req.Tenant, req.Function, req.Qualifier); err != nil {
			admission.End(err)
			return nil, err
		}
		lease, err = r.acquire(actx, f, version, !req.Async)
	}
	if lease != nil {
		admission.SetCold(lease.Cold())
		trace.ColdFrom(ctx, lease.Cold())
	}
	admission.End(err)
	if err != nil {
		var ie *runtime.InitError
		if errors.As(err, &ie) {
			return r.initFailed(req, f, version, ie), nil
		}
		return nil, acquireError(f, err)
	}
	inst := lease.Instance()
	cold := lease.Cold()
	var initDur time.Duration
	var initLogs []byte
	if cold {
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
	series := r.cfg.Metrics.Series(f.Tenant, f.Name)
	series.Begin()
	ictx, span := r.cfg.Tracer.Start(ctx, "instance")
	// The call runs to its own deadline even if the client goes away: an
	// instance abandoned mid-call could not be reused.
	resp, err := inst.Invoke(context.WithoutCancel(ictx), rreq)
	series.End()
	if err != nil {
		span.End(err)
		lease.Release(true)
		return nil, fn.Internal(fmt.Errorf("invoke %s: %w", f.Name, err))
	}
	if r.cfg.Tracer != nil {
		end := time.Now()
		r.cfg.Tracer.Record(ictx, "function", end.Add(-resp.Duration), end, resp.Outcome)
	}
	span.End(nil)
	lease.Release(resp.Broken)
	series.Invocation(metrics.Call{Outcome: resp.Outcome, ErrorType: resp.ErrorType, Duration: resp.Duration, Cold: cold, Init: initDur})

	rec := &record{
		req: req, f: f, version: version, cold: cold, initDur: initDur,
		initLogs: initLogs, logs: resp.Logs, dur: resp.Duration,
		maxMem: resp.MaxMemoryMB, outcome: resp.Outcome,
		errorType: resp.ErrorType, payload: resp.Payload,
	}
	res := &fn.Result{Payload: resp.Payload, FunctionError: resp.FunctionError, ExecutedVersion: version}
	r.recordOrDefer(res, rec)
	return res, nil
}

// recordOrDefer writes the invocation's logs and billing record now when the
// caller wants the log tail, else leaves it to Finish so that the reply goes
// out first.
func (r *Router) recordOrDefer(res *fn.Result, rec *record) {
	if rec.req.WantLogTail {
		res.LogTail = r.record(rec)
		return
	}
	res.Pending = rec
}

// Finish writes what Invoke left to record. The gateway calls it after the
// reply is on the wire; it must be called exactly once per successful Invoke.
func (r *Router) Finish(res *fn.Result) {
	if rec, ok := res.Pending.(*record); ok {
		r.record(rec)
	}
	res.Pending = nil
}

// Target is the pool key and instance spec of f's version: the key changes
// with every revision of $LATEST, so a redeploy never reuses an old
// instance.
func (r *Router) Target(f *fn.Function, version string) (string, pool.SpecFunc) {
	key := f.Tenant + "/" + f.Name + "/" + version + "/" + strconv.FormatInt(f.Revision, 10)
	return key, func(ctx context.Context) (runtime.Spec, error) {
		dir, err := r.dep.CodeDir(ctx, f)
		if err != nil {
			return runtime.Spec{}, err
		}
		access, err := r.awsAccess(f)
		if err != nil {
			return runtime.Spec{}, err
		}
		env, err := r.resolveSecrets(ctx, f)
		if err != nil {
			return runtime.Spec{}, err
		}
		if f.LogFormat == fn.LogFormatJSON { // as Lambda tells its runtimes' loggers
			env = maps.Clone(env)
			if env == nil {
				env = map[string]string{}
			}
			env["AWS_LAMBDA_LOG_FORMAT"] = fn.LogFormatJSON
		}
		return runtime.Spec{
			Tenant: f.Tenant, Function: f.Name, Version: version,
			ARN: fn.ARN(f.Tenant, f.Name, ""), Runtime: f.Runtime, LambdaRuntime: f.LambdaRuntime(), Handler: f.Handler,
			CodeDir: dir, MemoryMB: f.MemoryMB, Timeout: f.Timeout(), Env: env,
			EphemeralMB: f.EphemeralStorageMB, Network: f.Network, AWS: access,
		}, nil
	}
}

// awsAccess mints the session credentials of a new instance of f: its
// tenant's, limited to f's permissions, with the endpoint.
func (r *Router) awsAccess(f *fn.Function) (*runtime.AWSAccess, error) {
	if r.cfg.Endpoint == nil {
		return nil, nil
	}
	endpoint := r.cfg.Endpoint()
	if endpoint == "" {
		return nil, nil
	}
	lifetime := r.cfg.SessionLifetime
	if lifetime <= 0 {
		lifetime = registry.MaxSessionLifetime
	}
	c, err := r.reg.NewSession(registry.Session{Tenant: f.Tenant, Function: f.Name, Permissions: f.Permissions}, lifetime)
	if err != nil {
		return nil, fmt.Errorf("router: credentials for %s: %w", f.Name, err)
	}
	return &runtime.AWSAccess{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Endpoint: endpoint}, nil
}

func (r *Router) acquire(ctx context.Context, f *fn.Function, version string, sync bool) (*scheduler.Lease, error) {
	key, spec := r.Target(f, version)
	return r.sched.Acquire(ctx, scheduler.Call{
		Tenant: f.Tenant, Function: f.Name, Key: key, MemoryMB: f.MemoryMB, Spec: spec, Sync: sync,
	})
}

// acquireError maps the pool's mechanism errors to the catalogue.
func acquireError(f *fn.Function, err error) error {
	switch {
	case errors.Is(err, pool.ErrRetired):
		return fn.Conflict("function %s was redeployed or deleted while this call waited; retry", f.Name)
	case errors.Is(err, pool.ErrClosed):
		return fn.Unavailable("the platform is shutting down; retry on another node or after restart")
	}
	return err
}

// initFailed turns a failed cold start into Lambda's reply: a function
// error carrying the init error, billed for the init time.
func (r *Router) initFailed(req *fn.Request, f *fn.Function, version string, ie *runtime.InitError) *fn.Result {
	rec := &record{
		req: req, f: f, version: version, cold: true, initDur: ie.Duration,
		initLogs: ie.Logs, outcome: fn.OutcomeCrash,
		errorType: ie.ErrorType, payload: ie.Payload,
	}
	r.cfg.Metrics.Series(f.Tenant, f.Name).Invocation(metrics.Call{
		Outcome: fn.OutcomeCrash, ErrorType: ie.ErrorType, Duration: ie.Duration, Cold: true, Init: ie.Duration,
	})
	res := &fn.Result{Payload: ie.Payload, FunctionError: "Unhandled", ExecutedVersion: version}
	r.recordOrDefer(res, rec)
	return res
}

// Resolve finds what a call with qualifier runs: $LATEST ("" or
// "$LATEST"), a published version ("3"), or an alias, which picks its
// version by its routing weights.
func (r *Router) Resolve(ctx context.Context, tenant, name, qualifier string) (*fn.Function, string, error) {
	if qualifier == "" || qualifier == fn.LatestVersion {
		f, err := r.reg.Function(tenant, name) // read-only: no copy per call
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
