package control

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Provisioned concurrency is one setting per qualifier, stored with the
// function's concurrency (fn.Concurrency.Provisioned). reconcile turns the
// settings into pool targets: each qualifier resolves to its version(s) (an
// alias splits its count by its routing weights), the counts of qualifiers
// that land on the same version add up, and versions no longer wanted get
// a target of 0 (their instances return to the keep-alive policy).

// provState is what reconcile last applied for one function.
type provState struct {
	targets  map[string]int // pool key → instances
	modified map[string]time.Time
}

// Provision statuses, as Lambda reports them.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusReady      = "READY"
	StatusFailed     = "FAILED"
)

// ProvisionedConfig is one qualifier's provisioned concurrency and how far
// the platform got with it.
type ProvisionedConfig struct {
	Qualifier    string
	Requested    int
	Allocated    int // instances started for it
	Available    int // of those, ready for calls
	Status       string
	StatusReason string
	LastModified time.Time
}

// checkQualifier accepts $LATEST (Updraft's extension), a published
// version or an alias of the function.
func (c *Control) checkQualifier(ctx context.Context, tenant, name, q string) error {
	var err error
	switch {
	case q == fn.LatestVersion:
	case q == "":
		err = fn.InvalidParameter("a provisioned concurrency setting needs a qualifier: $LATEST, a version or an alias")
	case fn.IsVersionNumber(q):
		_, err = c.reg.GetVersion(ctx, tenant, name, q)
	default:
		_, err = c.reg.GetAlias(ctx, tenant, name, q)
	}
	return err
}

// PutProvisioned sets qualifier q's provisioned concurrency (n > 0) and
// starts the instances without waiting for them (Lambda's 202).
func (c *Control) PutProvisioned(ctx context.Context, tenant, name, q string, n int) (*ProvisionedConfig, error) {
	if n < 1 {
		return nil, fn.InvalidParameter("ProvisionedConcurrentExecutions must be at least 1; delete the config to remove it")
	}
	cc, err := c.GetConcurrency(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	cc.Provisioned = maps.Clone(cc.Provisioned)
	if cc.Provisioned == nil {
		cc.Provisioned = fn.Provisioned{}
	}
	cc.Provisioned[q] = n
	c.touch(tenant, name, q)
	if err := c.PutConcurrency(ctx, tenant, name, cc, false); err != nil {
		return nil, err
	}
	return c.GetProvisioned(ctx, tenant, name, q)
}

// DeleteProvisioned removes qualifier q's provisioned concurrency.
func (c *Control) DeleteProvisioned(ctx context.Context, tenant, name, q string) error {
	cc, err := c.GetConcurrency(ctx, tenant, name)
	if err != nil {
		return err
	}
	if cc.Provisioned[q] == 0 {
		return fn.ProvisionedConfigNotFound(name, q)
	}
	cc.Provisioned = maps.Clone(cc.Provisioned)
	delete(cc.Provisioned, q)
	return c.PutConcurrency(ctx, tenant, name, cc, false)
}

// GetProvisioned reports qualifier q's provisioned concurrency: READY only
// once every requested instance is started and initialised.
func (c *Control) GetProvisioned(ctx context.Context, tenant, name, q string) (*ProvisionedConfig, error) {
	if err := c.checkQualifier(ctx, tenant, name, q); err != nil {
		return nil, err
	}
	cc, err := c.GetConcurrency(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	n := cc.Provisioned[q]
	if n == 0 {
		return nil, fn.ProvisionedConfigNotFound(name, q)
	}
	return c.status(ctx, tenant, name, q, n), nil
}

// ListProvisioned reports every qualifier's provisioned concurrency.
func (c *Control) ListProvisioned(ctx context.Context, tenant, name string) ([]*ProvisionedConfig, error) {
	cc, err := c.GetConcurrency(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	out := []*ProvisionedConfig{}
	for _, q := range slices.Sorted(maps.Keys(cc.Provisioned)) {
		out = append(out, c.status(ctx, tenant, name, q, cc.Provisioned[q]))
	}
	return out, nil
}

// status compares q's setting with the pool's pinned instances.
func (c *Control) status(ctx context.Context, tenant, name, q string, n int) *ProvisionedConfig {
	pc := &ProvisionedConfig{Qualifier: q, Requested: n, Status: StatusInProgress, LastModified: c.modified(tenant, name, q)}
	shares, err := c.targets(ctx, tenant, name, q, n)
	if err != nil {
		pc.Status, pc.StatusReason = StatusFailed, err.Error()
		return pc
	}
	var failed error
	for key, sh := range shares {
		want := sh.n
		st := c.pool.ProvisionStatus(key)
		ready := min(st.Ready, want)
		pc.Available += ready
		pc.Allocated += min(st.Target, want)
		if st.Err != nil && ready < want {
			failed = st.Err
		}
	}
	switch {
	case pc.Available >= n:
		pc.Status = StatusReady
	case failed != nil:
		pc.Status = StatusFailed
		pc.StatusReason = fmt.Sprintf("an instance failed to start: %v; the platform keeps trying (check `updraft logs %s`)", failed, name)
	}
	return pc
}

// share is the part of a qualifier's provisioned concurrency that lands on
// one function version (one pool key).
type share struct {
	f       *fn.Function
	version string
	n       int
}

// targets resolves q to pool keys and the share of n each gets.
func (c *Control) targets(ctx context.Context, tenant, name, q string, n int) (map[string]*share, error) {
	out := map[string]*share{}
	add := func(version string, k int) error {
		if k <= 0 {
			return nil
		}
		f, _, err := c.router.Resolve(ctx, tenant, name, version) // $LATEST or a version: no alias draw
		if err != nil {
			return err
		}
		key, _ := c.router.Target(f, version)
		if out[key] == nil {
			out[key] = &share{f: f, version: version}
		}
		out[key].n += k
		return nil
	}
	if q == fn.LatestVersion || fn.IsVersionNumber(q) {
		return out, add(q, n)
	}
	a, err := c.reg.GetAlias(ctx, tenant, name, q)
	if err != nil {
		return nil, err
	}
	rest := n
	for _, v := range slices.Sorted(maps.Keys(a.Weights)) {
		k := int(math.Round(a.Weights[v] * float64(n)))
		k = min(k, rest)
		rest -= k
		if err := add(v, k); err != nil {
			return nil, err
		}
	}
	return out, add(a.FunctionVersion, rest)
}

// reconcile applies a function's provisioned settings to the pool.
func (c *Control) reconcile(ctx context.Context, tenant, name string) {
	owner := fn.Key(tenant, name)
	cc := c.sched.Concurrency(tenant, name)
	want := map[string]*share{}
	for q, n := range cc.Provisioned {
		shares, err := c.targets(ctx, tenant, name, q, n)
		if err != nil {
			if !fn.IsNotFound(err) {
				c.cfg.Log.Warn("resolving provisioned concurrency", "tenant", tenant, "fn", name, "qualifier", q, "err", err)
			}
			continue
		}
		for key, sh := range shares {
			if want[key] == nil {
				want[key] = &share{f: sh.f, version: sh.version}
			}
			want[key].n += sh.n
		}
	}
	targets := make(map[string]int, len(want))
	for key, sh := range want {
		targets[key] = sh.n
	}
	c.mu.Lock()
	st := c.prov[owner]
	if st == nil {
		st = &provState{targets: map[string]int{}}
		c.prov[owner] = st
	}
	old := st.targets
	st.targets = targets
	c.mu.Unlock()
	for key, sh := range want {
		if old[key] == sh.n && c.pool.ProvisionStatus(key).Target == sh.n {
			continue
		}
		_, spec := c.router.Target(sh.f, sh.version)
		if err := c.pool.SetProvisioned(key, owner, spec, sh.f.MemoryMB, sh.n); err != nil {
			c.cfg.Log.Warn("provisioning", "tenant", tenant, "fn", name, "key", key, "err", err)
		}
	}
	for key := range old {
		if _, ok := want[key]; !ok {
			if err := c.pool.SetProvisioned(key, owner, nil, 0, 0); err != nil {
				c.cfg.Log.Warn("releasing provisioned instances", "tenant", tenant, "fn", name, "key", key, "err", err)
			}
		}
	}
}

// reconcileAll reconciles every function with provisioned concurrency.
func (c *Control) reconcileAll(ctx context.Context) {
	for key, cc := range c.sched.All() {
		c.mu.Lock()
		_, applied := c.prov[key]
		c.mu.Unlock()
		if len(cc.Provisioned) == 0 && !applied {
			continue
		}
		tenant, name := fn.SplitKey(key)
		c.reconcile(ctx, tenant, name)
	}
}

// awaitProvisioned waits until every qualifier of the function is READY,
// one failed, or ctx ends.
func (c *Control) awaitProvisioned(ctx context.Context, tenant, name string) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		list, err := c.ListProvisioned(ctx, tenant, name)
		if err != nil {
			return err
		}
		ready := true
		for _, pc := range list {
			if pc.Status == StatusFailed {
				return fn.Errorf(http.StatusBadGateway, fn.TypeService, "provisioned concurrency of %s:%s: %s", name, pc.Qualifier, pc.StatusReason)
			}
			ready = ready && pc.Status == StatusReady
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Control) touch(tenant, name, q string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	owner := fn.Key(tenant, name)
	st := c.prov[owner]
	if st == nil {
		st = &provState{targets: map[string]int{}}
		c.prov[owner] = st
	}
	if st.modified == nil {
		st.modified = map[string]time.Time{}
	}
	st.modified[q] = time.Now().UTC()
}

func (c *Control) modified(tenant, name, q string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.prov[fn.Key(tenant, name)]; st != nil && !st.modified[q].IsZero() {
		return st.modified[q]
	}
	return time.Now().UTC()
}
