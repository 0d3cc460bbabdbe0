package pool

import (
	"context"
	"fmt"
	"time"
)

// provision is a group's provisioned concurrency: target instances kept
// started at all times, never reaped, replaced when they die.
type provision struct {
	target   int
	pinned   int   // members marked pinned: starting, idle or busy
	starting int   // of pinned, still starting
	err      error // the last failed start of a pinned instance
}

// Provision keeps n instances of the version key started (n = 0 releases
// them to the keep-alive policy). It returns once n are ready, or with the
// error of a failed start, or when ctx is done.
func (p *Pool) Provision(ctx context.Context, key, owner string, spec SpecFunc, n int) error {
	if err := p.SetProvisioned(key, owner, spec, 0, n); err != nil {
		return err
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		st := p.ProvisionStatus(key)
		switch {
		case st.Retired:
			return ErrRetired
		case st.Err != nil:
			return fmt.Errorf("provisioned instance of %s: %w", key, st.Err)
		case st.Ready >= n:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// SetProvisioned sets the target of the version key's provisioned
// instances (memMB each) and starts what is missing, without waiting.
func (p *Pool) SetProvisioned(key, owner string, spec SpecFunc, memMB, n int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	g := p.groups[key]
	if g == nil && n == 0 {
		return nil
	}
	if g == nil {
		g = &group{key: key, owner: owner, spec: spec}
		p.groups[key] = g
	}
	if g.spec == nil {
		g.spec = spec
	}
	if memMB > 0 {
		g.memMB = memMB
	}
	g.prov.target = n
	g.prov.err = nil
	// Lowering the target unpins idle instances first; busy ones stay
	// pinned until they come back (Release keeps them; the count shrinks
	// when they stop on their own or the target rises again).
	for i := len(g.idle) - 1; i >= 0 && g.prov.pinned > n; i-- {
		if m := g.idle[i]; m.pinned {
			m.pinned = false
			m.lastUsed = p.now()
			g.prov.pinned--
		}
	}
	p.topUp(g)
	return nil
}

// ProvisionState is the state of a version's provisioned instances.
type ProvisionState struct {
	Target  int
	Ready   int   // pinned instances started (idle or busy)
	Err     error // the last failed start, if the latest attempt failed
	Retired bool  // the version was replaced: the target no longer applies
}

// ProvisionStatus reports the provisioned instances of the version key.
func (p *Pool) ProvisionStatus(key string) ProvisionState {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.groups[key]
	if g == nil {
		return ProvisionState{}
	}
	return ProvisionState{Target: g.prov.target, Ready: g.prov.pinned - g.prov.starting, Err: g.prov.err, Retired: g.retired}
}

// topUp starts pinned instances until the target is met. p.mu held.
func (p *Pool) topUp(g *group) {
	for g.prov.pinned < g.prov.target && !g.retired && !p.closed {
		if p.cfg.CapacityMB > 0 && p.memUsed()+g.memMB > p.cfg.CapacityMB {
			// No eviction here (it would need closing outside the lock):
			// the reaper retries every tick as idle instances go.
			g.prov.err = fmt.Errorf("%w: %d MB of %d MB are held by other instances", ErrNoCapacity, p.memUsed(), p.cfg.CapacityMB)
			return
		}
		g.total++
		g.starting++
		g.prov.pinned++
		g.prov.starting++
		p.wg.Add(1)
		go p.startPinned(g)
	}
}

// unpin accounts for a member leaving the group. p.mu held.
func (p *Pool) unpin(g *group, m *member) {
	if m.pinned {
		m.pinned = false
		g.prov.pinned--
		p.topUp(g)
	}
}

func (p *Pool) startPinned(g *group) {
	defer p.wg.Done()
	spec, err := g.spec(p.ctx)
	var m *member
	if err == nil {
		inst, ierr := p.rt.NewInstance(p.ctx, spec)
		err = ierr
		if err == nil {
			// Provisioned: initialised before any call, so no call of it
			// is a cold start (Lambda reports no Init Duration either).
			m = &member{inst: inst, g: g, pinned: true, memMB: spec.MemoryMB, born: p.now()}
		}
	}
	p.mu.Lock()
	g.starting--
	g.prov.starting--
	if err != nil {
		g.total--
		g.prov.pinned--
		g.prov.err = err
		p.mu.Unlock()
		p.cfg.Log.Warn("provisioned instance failed to start", "key", g.key, "err", err)
		return
	}
	p.cfg.Metrics.InstanceStarted()
	g.prov.err = nil
	if g.retired || p.closed {
		g.total--
		g.prov.pinned--
		p.mu.Unlock()
		p.cfg.Metrics.InstancesStopped("retired", 1)
		_ = m.inst.Close(context.Background())
		return
	}
	p.handOff(g, m)
	p.topUp(g) // still short (host capacity): says so again
	p.mu.Unlock()
}

// Instance is one instance's visible state.
type Instance struct {
	Version     string    `json:"version"`
	State       string    `json:"state"` // starting, idle, busy, provisioned (idle and pinned)
	Provisioned bool      `json:"provisioned"`
	IdleSince   time.Time `json:"idle_since,omitzero"`
}

// Instances lists owner's instances and per-version counts.
func (p *Pool) Instances(owner string) ([]Instance, []Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Instance
	var stats []Stats
	for _, g := range p.groups {
		if g.owner != owner {
			continue
		}
		busy := g.total - len(g.idle) - g.starting
		stats = append(stats, Stats{Key: g.key, Idle: len(g.idle), Busy: busy, Starting: g.starting, Waiting: len(g.waiters)})
		pinnedIdle := 0
		for _, m := range g.idle {
			st := "idle"
			if m.pinned {
				st = "provisioned"
				pinnedIdle++
			}
			out = append(out, Instance{Version: g.key, State: st, Provisioned: m.pinned, IdleSince: m.lastUsed})
		}
		pinnedBusy := g.prov.pinned - g.prov.starting - pinnedIdle
		for i := 0; i < busy; i++ {
			out = append(out, Instance{Version: g.key, State: "busy", Provisioned: i < pinnedBusy})
		}
		for i := 0; i < g.starting; i++ {
			out = append(out, Instance{Version: g.key, State: "starting", Provisioned: i < g.prov.starting})
		}
	}
	return out, stats
}
