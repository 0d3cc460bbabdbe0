package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/router"
	"github.com/updraft-dev/updraft/internal/scheduler"
)

// Config tunes the control plane.
type Config struct {
	// Reconcile is how often provisioned concurrency is checked against
	// the pool (aliases moved, instances died, starts failed); default 2s.
	Reconcile time.Duration
	// CodeGrace keeps unreferenced code objects younger than this from
	// collection (default DefaultCodeGrace); CollectEvery is how often
	// code is collected besides after deletes and redeploys (default
	// DefaultCollectEvery). See gc.go.
	CodeGrace    time.Duration
	CollectEvery time.Duration
	// Reserve refuses a write that would eat into the disk space kept for
	// queues and metering (serve --min-free-mb); nil: no reserve.
	Reserve func() error
	Log     *slog.Logger
}

// Control runs management sequences.
type Control struct {
	cfg    Config
	reg    *registry.Registry
	dep    *deploy.Deployer
	router *router.Router
	sched  *scheduler.Scheduler
	pool   *pool.Pool

	mu   sync.Mutex
	prov map[string]*provState // by fn.Key: what was last applied to the pool

	msg Messaging // eventconfig.go

	triggers  map[string]TriggerKind // by updraft.yaml type:, under mu (triggers.go)
	tenantRes []TenantResources      // under mu (tenants.go)

	kick chan struct{} // asks collectLoop for a collection (gc.go)
	gcMu sync.Mutex    // one collection at a time

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New wires the control plane; Start begins following the registry.
func New(cfg Config, reg *registry.Registry, dep *deploy.Deployer, rt *router.Router, s *scheduler.Scheduler, p *pool.Pool) *Control {
	if cfg.Reconcile <= 0 {
		cfg.Reconcile = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.CodeGrace <= 0 {
		cfg.CodeGrace = DefaultCodeGrace
	}
	if cfg.CollectEvery <= 0 {
		cfg.CollectEvery = DefaultCollectEvery
	}
	c := &Control{cfg: cfg, reg: reg, dep: dep, router: rt, sched: s, pool: p, prov: map[string]*provState{},
		kick: make(chan struct{}, 1)}
	dep.AddCheck(c.CheckTriggers)
	dep.AddCheck(c.checkSecretRefs)
	return c
}

// Start follows the registry's changes (retiring old instances, forgetting
// deleted functions' settings) and starts the provisioned instances of
// every function, waiting up to a minute for them (a failure is logged: the
// reconciler keeps trying), then keeps them reconciled.
func (c *Control) Start(ctx context.Context) error {
	changes := c.reg.Changes()
	run, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	if err := c.migrateProvisioned(ctx); err != nil {
		return err
	}
	c.reconcileAll(ctx)
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	for key, cc := range c.sched.All() {
		if len(cc.Provisioned) == 0 {
			continue
		}
		tenant, name := fn.SplitKey(key)
		if err := c.awaitProvisioned(wctx, tenant, name); err != nil {
			c.cfg.Log.Warn("provisioned concurrency at start", "tenant", tenant, "fn", name, "err", err)
		}
	}
	wcancel()
	c.wg.Add(3)
	go func() {
		defer c.wg.Done()
		c.collectLoop(run)
	}()
	go func() {
		defer c.wg.Done()
		for {
			select {
			case <-run.Done():
				return
			case ch := <-changes:
				c.changed(run, ch)
			}
		}
	}()
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.cfg.Reconcile)
		defer t.Stop()
		for {
			select {
			case <-run.Done():
				return
			case <-t.C:
				c.reconcileAll(run)
			}
		}
	}()
	return nil
}

// Close stops following the registry. Safe after a failed Start.
func (c *Control) Close(ctx context.Context) error {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	return nil
}

// changed retires a function's instances after its definition changed or
// it was deleted, then re-provisions it or forgets its settings.
func (c *Control) changed(ctx context.Context, ch registry.Change) {
	owner := fn.Key(ch.Tenant, ch.Name)
	f, err := c.reg.GetFunction(ctx, ch.Tenant, ch.Name)
	if err != nil {
		c.pool.Retire(owner)
	} else {
		// $LATEST's older revisions; published versions never change.
		current, _ := c.router.Target(f, fn.LatestVersion)
		latest := current[:strings.LastIndexByte(current, '/')+1]
		c.pool.RetireWhere(owner, func(key string) bool {
			return strings.HasPrefix(key, latest) && key != current
		})
	}
	c.askCollect() // a delete or a redeploy may leave code unreferenced
	if ch.Deleted {
		c.mu.Lock()
		delete(c.prov, owner)
		c.mu.Unlock()
		if fn.IsNotFound(err) {
			if err := c.sched.DeleteConcurrency(ctx, ch.Tenant, ch.Name); err != nil {
				c.cfg.Log.Warn("forgetting the concurrency of a deleted function", "tenant", ch.Tenant, "fn", ch.Name, "err", err)
			}
		}
		return
	}
	c.mu.Lock()
	if st := c.prov[owner]; st != nil {
		st.targets = map[string]int{} // gone with the retired groups
	}
	c.mu.Unlock()
	c.reconcile(ctx, ch.Tenant, ch.Name)
}

// Deploy stores a function's code and configuration and, with publish,
// publishes the result as a version (returned instead of $LATEST). The
// instances of the previous revision are retired when the change reaches
// the registry's feed; calls from now on already start the new revision.
func (c *Control) Deploy(ctx context.Context, tenant string, req deploy.Request, publish bool) (*fn.Function, bool, error) {
	if c.cfg.Reserve != nil {
		if err := c.cfg.Reserve(); err != nil {
			return nil, false, err
		}
	}
	if req.DeadLetterARN != nil && *req.DeadLetterARN != "" {
		if err := c.checkDestination(ctx, tenant, *req.DeadLetterARN, false); err != nil {
			return nil, false, err
		}
	}
	if err := c.checkStored(ctx, tenant, req); err != nil {
		return nil, false, err
	}
	f, created, err := c.dep.Deploy(ctx, tenant, req)
	if err != nil {
		return nil, false, err
	}
	c.cfg.Log.Info("deployed", "tenant", tenant, "fn", f.Name, "revision", f.Revision, "code_changed", f.CodeChanged)
	if !req.IgnoreManifest {
		if err := c.applyTriggers(ctx, f); err != nil {
			return nil, created, err
		}
	}
	if publish {
		if f, err = c.dep.Publish(ctx, tenant, f.Name, f.CodeSHA256, nil); err != nil {
			return nil, created, err
		}
	}
	return f, created, nil
}

// Delete removes a function with its versions, aliases and concurrency
// settings; its instances stop through the registry's change feed.
func (c *Control) Delete(ctx context.Context, tenant, name string) error {
	if err := c.reg.DeleteFunction(ctx, tenant, name); err != nil {
		return err
	}
	// Here at once, so that a function created again under the name right
	// away does not inherit the settings; the change feed does the same
	// on every node.
	if err := c.sched.DeleteConcurrency(ctx, tenant, name); err != nil {
		return err
	}
	if c.msg.EventConfigs != nil {
		if err := c.msg.EventConfigs.DeleteFunction(ctx, tenant, name); err != nil {
			return err
		}
	}
	if c.msg.DeleteFunction != nil {
		if err := c.msg.DeleteFunction(ctx, tenant, name); err != nil {
			return err
		}
	}
	if err := c.removeTriggers(ctx, tenant, name); err != nil {
		return err
	}
	c.cfg.Log.Info("deleted", "tenant", tenant, "fn", name)
	return nil
}

// DeleteVersion removes one published version, unless an alias still routes
// to it, with its provisioned concurrency.
func (c *Control) DeleteVersion(ctx context.Context, tenant, name, q string) error {
	if !fn.IsVersionNumber(q) {
		return fn.InvalidParameter("Qualifier %q cannot be deleted: name a published version (delete aliases with DeleteAlias, $LATEST by deleting the function)", q)
	}
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return err
	}
	as, err := c.reg.ListAliases(ctx, tenant, name)
	if err != nil {
		return err
	}
	for _, a := range as {
		if _, weighted := a.Weights[q]; a.FunctionVersion == q || weighted {
			return fn.Conflict("version %s is used by alias %s: point the alias elsewhere first", q, a.Name)
		}
	}
	if err := c.reg.DeleteVersion(ctx, tenant, name, q); err != nil {
		return err
	}
	if err := c.DeleteProvisioned(ctx, tenant, name, q); err != nil && !isProvisionedNotFound(err) {
		return err
	}
	c.cfg.Log.Info("deleted version", "tenant", tenant, "fn", name, "version", q)
	c.askCollect() // versions are not in the change feed
	return nil
}

func isProvisionedNotFound(err error) bool {
	var e *fn.Error
	return errors.As(err, &e) && e.Type == fn.TypeProvisionedConcurrency
}

// migrateProvisioned moves provisioned concurrency configs that servers
// before the control plane stored in function definitions (and never
// applied) into the function's concurrency settings, where they apply.
func (c *Control) migrateProvisioned(ctx context.Context) error {
	for _, f := range c.reg.AllFunctions() {
		if len(f.Provisioned) == 0 {
			continue
		}
		cc := c.sched.Concurrency(f.Tenant, f.Name)
		merged := maps.Clone(cc.Provisioned)
		if merged == nil {
			merged = fn.Provisioned{}
		}
		for q, n := range f.Provisioned {
			if _, ok := merged[q]; !ok && n > 0 {
				merged[q] = n
			}
		}
		cc.Provisioned = merged
		if err := c.sched.SetConcurrency(ctx, f.Tenant, f.Name, cc); err != nil {
			c.cfg.Log.Warn("provisioned concurrency of an older server not applied", "tenant", f.Tenant, "fn", f.Name, "err", err)
			continue
		}
		if _, err := c.dep.Mutate(ctx, f.Tenant, f.Name, func(f *fn.Function) error {
			f.Provisioned = nil
			return nil
		}); err != nil {
			return fmt.Errorf("control: migrate provisioned concurrency of %s: %w", f.Name, err)
		}
		c.cfg.Log.Info("provisioned concurrency moved to the function's concurrency settings", "tenant", f.Tenant, "fn", f.Name, "provisioned", merged.String())
	}
	return nil
}
