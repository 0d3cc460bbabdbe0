package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/billing"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/gateway"
	"github.com/updraft-dev/updraft/internal/gateway/codedeploy"
	gwhttpapi "github.com/updraft-dev/updraft/internal/gateway/httpapi"
	"github.com/updraft-dev/updraft/internal/httpapi"
	"github.com/updraft-dev/updraft/internal/logs"
	"github.com/updraft-dev/updraft/internal/mail"
	"github.com/updraft-dev/updraft/internal/mapping"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/router"
	"github.com/updraft-dev/updraft/internal/runtime/process"
	"github.com/updraft-dev/updraft/internal/sandbox"
	"github.com/updraft-dev/updraft/internal/scheduler"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/topic"
	"github.com/updraft-dev/updraft/internal/trace"
)

// Daemon is a running Updraft platform on one machine.
type Daemon struct {
	cfg    config.Config
	log    *slog.Logger
	keyNew bool
	prices billing.Prices // GET /v1/billing's, from cfg.PriceTable

	// closers run in reverse order of start.
	closers []func(context.Context) error

	st        *store.Store
	gw        *gateway.Gateway
	reg       *registry.Registry
	qm        *queue.Manager
	ms        *mapping.Store
	routes    *httpapi.Service              // routes.go
	routesSrv *gwhttpapi.Server             // nil when the routes listener is off
	topics    atomic.Pointer[topic.Service] // set once the topics run; async destinations publish to it
	tables    atomic.Pointer[tables.Store]  // set once the tables run; stream mappings read them
	// endpoint is the gateway's address as instances reach it (host:port),
	// set once it listens; instances started before get no AWS access.
	endpoint atomic.Pointer[string]
	smtp     *mail.Server // inbound mail, when --smtp-listen is set
}

// New validates cfg and builds the daemon; nothing runs until Start.
func New(cfg config.Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	prices, err := billing.LoadPrices(cfg.PriceTable)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &Daemon{cfg: cfg, log: log, prices: prices}, nil
}

func (d *Daemon) onClose(f func(context.Context) error) { d.closers = append(d.closers, f) }

// Start opens the store and starts serving; it returns once the HTTP API
// accepts connections. On error everything started so far is closed.
func (d *Daemon) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = d.Close(context.Background())
		}
	}()
	cfg := d.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	st, err := store.Open(ctx, store.Config{Dir: cfg.StoreDir(), Log: d.log, MinFreeMB: cfg.MinFreeMB})
	if err != nil {
		return err
	}
	d.st = st
	d.onClose(func(context.Context) error { return st.Close() })
	if err := registry.CheckAtStart(ctx, st, registry.StartCheck{DataDir: cfg.DataDir, AllowDegraded: cfg.AllowDegraded, Log: d.log}); err != nil {
		return err
	}

	reg, err := registry.New(ctx, st)
	if err != nil {
		return err
	}
	d.reg = reg
	d.onClose(func(context.Context) error { return reg.Close() })
	if d.keyNew, err = reg.EnsureAdminKey(ctx, cfg.AdminKeyPath()); err != nil {
		return err
	}
	if err := reg.UseMasterKey(cfg.MasterKeyPath()); err != nil {
		return err
	}
	if _, err := reg.EnsureAdminCredentials(ctx, cfg.AdminCredentialsPath()); err != nil {
		return err
	}
	if err := reg.EnsureTenants(ctx); err != nil {
		return err
	}

	dep, err := deploy.New(reg, cfg.CodeDir(), d.log)
	if err != nil {
		return err
	}

	lg, err := logs.New(ctx, st, logs.Config{MaxAge: cfg.LogMaxAge, MaxBytes: cfg.LogMaxBytes}, d.log)
	if err != nil {
		return err
	}
	if err := lg.Start(ctx); err != nil {
		return err
	}
	d.onClose(lg.Close)

	mt, err := meter.New(ctx, st, meter.Config{MaxBytes: cfg.UsageMaxBytes}, d.log)
	if err != nil {
		return err
	}
	if err := mt.Start(ctx); err != nil {
		return err
	}
	d.onClose(mt.Close)

	sb, err := sandbox.New(sandbox.Config{HideDirs: []string{cfg.DataDir}, StemDir: cfg.StemDir(), ScratchDir: cfg.ScratchDir(), Disable: cfg.NoSandbox,
		HostNetwork: cfg.InstanceNetwork == config.InstanceNetworkHost, Log: d.log})
	if err != nil {
		return err
	}
	if sb.Enforced() {
		d.log.Info(sb.Report())
	} else {
		d.log.Warn(sb.Report())
	}
	d.onClose(func(context.Context) error { return sb.Close() })
	rt, err := process.New(process.Config{RuntimeDir: cfg.RuntimeDir(), StemCells: cfg.StemCells, Sandbox: sb, Log: d.log})
	if err != nil {
		return err
	}
	if err := rt.Start(ctx); err != nil {
		return err
	}
	d.onClose(rt.Close)
	runtimes, err := d.startWasm(ctx, cfg, dep, rt)
	if err != nil {
		return err
	}

	mx := metrics.New(metrics.Config{MaxSeries: cfg.MetricsMaxSeries})
	mx.StemCells(func() []metrics.StemCell {
		var out []metrics.StemCell
		for _, s := range rt.Stems() {
			out = append(out, metrics.StemCell{Runtime: s.Runtime, Ready: s.Ready, Taken: s.Taken})
		}
		return out
	})
	ccStore, err := registry.NewConcurrency(ctx, st)
	if err != nil {
		return err
	}
	kaCfg, err := scheduler.ParseKeepAlivePolicy(cfg.KeepAlivePolicy, cfg.KeepAlive)
	if err != nil {
		return err
	}
	pl, err := pool.New(pool.Config{
		KeepAlive: kaCfg.Fixed, MaxInstances: cfg.MaxInstances, CapacityMB: cfg.FunctionMemoryMB,
		Policy: scheduler.NewKeepAlive(kaCfg), IdleBudgetMB: cfg.IdleBudgetMB, Metrics: mx, Log: d.log,
		MaxAge: registry.MaxSessionLifetime / 2, // instances' credentials outlive them
	}, runtimes)
	if err != nil {
		return err
	}
	if err := pl.Start(ctx); err != nil {
		return err
	}
	d.onClose(pl.Close)
	prov := mt.NewProvisioned(meter.ProvisionedConfig{Source: provisionedSamples(pl)})
	if err := prov.Start(ctx); err != nil {
		return err
	}
	d.onClose(prov.Close)

	sch := scheduler.New(scheduler.Config{
		TenantQuota: func(t string) int { return reg.Quotas(t).MaxConcurrency },
		TenantLimit: cfg.TenantConcurrency, SyncWait: cfg.ThrottleWait, Pool: pl,
		Store: ccStore, Metrics: mx, Log: d.log,
	})
	if err := sch.Start(ctx); err != nil {
		return err
	}
	d.onClose(sch.Close)

	tr, err := trace.New(ctx, trace.Config{Endpoint: cfg.OTLPEndpoint})
	if err != nil {
		return err
	}
	d.onClose(tr.Close) // after the gateway and the router: flushes their spans
	rtr := router.New(router.Config{Metrics: mx, Tracer: tr, Log: d.log, Endpoint: d.instanceEndpoint,
		Quotas: reg.Quotas, Month: mt.NewMonth(time.Minute)}, reg, dep, sch, lg, mt)
	qm, err := queue.Open(ctx, st, queue.Options{Health: st.Healthy, Log: d.log})
	if err != nil {
		return err
	}
	if err := qm.Start(ctx); err != nil {
		return err
	}
	d.onClose(qm.Close)
	ecs, err := registry.NewEventConfigs(ctx, st)
	if err != nil {
		return err
	}
	ctl := control.New(control.Config{CodeGrace: cfg.CodeGrace, Reserve: st.Reserve, Log: d.log}, reg, dep, rtr, sch, pl)
	q, err := async.New(ctx, st, qm, rtr, async.Config{
		Health: st.Healthy, Log: d.log,
		EventConfig: ctl.EventConfigFor, Function: reg.GetFunction, Publish: d.publishToTopic,
	})
	if err != nil {
		return err
	}
	if d.routes, err = d.startRoutes(ctx, st, ctl, dep, rtr); err != nil {
		return err
	}
	ml, err := d.openMail(ctx, st, reg, ctl, q)
	if err != nil {
		return err
	}
	ctl.SetMessaging(control.Messaging{EventConfigs: ecs, Queues: qm, DeleteFunction: q.DeleteFunction, TopicExists: d.topicExists})
	scheds, err := d.openSchedules(ctx, st, reg, ctl, q)
	if err != nil {
		return err
	}
	if err := ctl.Start(ctx); err != nil {
		return err
	}
	d.onClose(ctl.Close)
	if err := q.Start(ctx); err != nil {
		return err
	}
	d.onClose(q.Close)
	if err := d.startSchedules(ctx, scheds); err != nil {
		return err
	}
	maps, err := d.startMappings(ctx, st, reg, qm, rtr)
	if err != nil {
		return err
	}
	observe(mx, pl, qm, d.ms, st, reg)
	stacks, err := d.openStacks(ctx, st, reg, ctl, mt)
	if err != nil {
		return err
	}
	ctl.RegisterTrigger("queue", maps.QueueTriggers())
	ctl.RegisterTenantResources(queueResources{qm, maps})
	gw := gateway.New(gateway.Config{
		Listen: cfg.Listen, Log: d.log, HeaderTimeout: cfg.HeaderTimeout,
		BodyGrace: cfg.BodyGrace, BodyMinRate: cfg.BodyMinRate, MaxConnsPerIP: cfg.MaxConnsPerIP,
		Backup: d.backup, Health: st.Healthy, Mappings: maps, Mail: ml, Schedules: scheds, Routes: d.routes, Stacks: stacks,
		MetricsPublic: cfg.MetricsPublic, Tracer: tr,
		Prices: &d.prices, Throttles: func(t string) int64 {
			s := sch.Stats(t)
			return s.ThrottledReserved + s.ThrottledTenant + s.ThrottledMaxInstances + s.ThrottledHostCapacity
		},
		DeleteTenant: func(r *http.Request, name string, force bool) error {
			return ctl.DeleteTenant(r.Context(), name, force)
		},
	}, reg, dep, ctl, rtr, q, lg, mt, mx)
	d.mountScheduler(gw, scheds)
	// Canary hooks report their verdict as on AWS, through CodeDeploy's
	// PutLifecycleEventHookExecutionStatus.
	gw.Mount(gateway.Service{Name: "codedeploy", TargetPrefixes: []string{codedeploy.TargetPrefix}, Handler: codedeploy.New(stacks.Hooks(), d.log).Serve})
	if err := d.mountServices(ctx, gw, services{queues: qm, async: q, ctl: ctl}); err != nil {
		return err
	}
	if err := gw.Start(ctx); err != nil {
		return err
	}
	d.gw = gw
	ep := reachable(gw.Addr())
	d.endpoint.Store(&ep)
	d.onClose(gw.Close)
	// Traffic shifts a stopped server left running go on once the
	// endpoint they move aliases through listens.
	if err := stacks.Start(ctx); err != nil {
		return err
	}
	d.onClose(stacks.Close)
	if err := d.startSMTP(ctx, ml); err != nil {
		return err
	}
	if cfg.PprofListen != "" {
		if err := d.startPprof(cfg.PprofListen); err != nil {
			return err
		}
	}
	d.log.Info("updraft started", "listen", gw.Addr(), "data_dir", cfg.DataDir)
	return nil
}

// instanceEndpoint is the endpoint's address for instances' AWS SDKs, ""
// before it listens.
func (d *Daemon) instanceEndpoint() string {
	if p := d.endpoint.Load(); p != nil {
		return *p
	}
	return ""
}

// reachable turns a listen address into one a local client dials: an
// unspecified host (0.0.0.0, ::, "") becomes loopback.
func reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Addr is the HTTP API's actual listen address (host:port).
func (d *Daemon) Addr() string {
	if d.gw == nil {
		return ""
	}
	return d.gw.Addr()
}

// AdminKeyPath is where the admin API key is stored.
func (d *Daemon) AdminKeyPath() string { return d.cfg.AdminKeyPath() }

// AdminCredentialsPath is where the admin's access key pair is stored.
func (d *Daemon) AdminCredentialsPath() string { return d.cfg.AdminCredentialsPath() }

// AdminKeyCreated reports whether this start created the admin key.
func (d *Daemon) AdminKeyCreated() bool { return d.keyNew }

// Registry exposes the registry (tests create extra tenants' keys with it).
func (d *Daemon) Registry() *registry.Registry { return d.reg }

// Close shuts down gracefully: the gateway stops accepting and lets
// in-flight calls finish until ctx is done, then everything else stops in
// reverse order of start. Safe to call more than once.
func (d *Daemon) Close(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		// Never unbounded: a store that cannot write (a full disk) would
		// hold the flush of logs and usage forever.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.ShutdownTimeout)
		defer cancel()
	}
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		if ctx.Err() != nil {
			// The gateway used up the grace period; the rest still gets a
			// bounded chance to flush logs and usage.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
		}
		if err := d.closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	d.closers = nil
	return errors.Join(errs...)
}

// AuthedRoutes lists the patterns of every REST route behind
// authentication, for tests that must cover each (the tenancy matrix).
func (d *Daemon) AuthedRoutes() []string {
	if d.gw == nil {
		return nil
	}
	return d.gw.AuthedRoutes()
}
