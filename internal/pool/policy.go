package pool

import (
	"time"
)

// Policy decides, per function (owner), how long its idle instances live.
// The scheduler's hybrid-histogram policy implements it; the pool tells it
// when calls arrive and end and asks it for the windows on every reap.
type Policy interface {
	// Arrival and Done bracket one call of owner.
	Arrival(owner string, now time.Time)
	Done(owner string, now time.Time)
	// Windows returns owner's pre-warm window (instances are stopped once
	// idle and one is started again when the window ends; 0: none) and its
	// keep-alive window (how long an instance is kept after the pre-warm
	// window, or after its last call when there is none). memMB is the
	// memory of one of its instances (0: unknown), so that the policy can
	// price idle time in GB-s.
	Windows(owner string, memMB int) (prewarm, keepAlive time.Duration)
}

// prewarm is a group's pending pre-warm: start one instance at at, keep it
// until until (the end of the keep-alive window) unless a call uses it.
type prewarm struct {
	at, until time.Time
	expires   time.Time // handed to the instance the pre-warm start makes
}

func (p *Pool) arrival(owner string) {
	if p.cfg.Policy != nil {
		p.cfg.Policy.Arrival(owner, p.now())
	}
}

func (p *Pool) done(owner string) {
	if p.cfg.Policy != nil {
		p.cfg.Policy.Done(owner, p.now())
	}
}

func (p *Pool) windows(g *group) (time.Duration, time.Duration) {
	if p.cfg.Policy == nil {
		return 0, p.cfg.KeepAlive
	}
	mb := 0
	if len(g.idle) > 0 {
		mb = g.idle[0].memMB
	}
	return p.cfg.Policy.Windows(g.owner, mb)
}

// reapGroup applies the policy to g's idle instances, appending those to
// stop to stop, and starts a pre-warm instance when its window opened.
// p.mu held.
func (p *Pool) reapGroup(g *group, now time.Time, stop []*member) []*member {
	pre, ka := p.windows(g)
	keep := g.idle[:0:0]
	for _, m := range g.idle {
		idle := now.Sub(m.lastUsed)
		switch {
		case (m.pinned && !alive(m.inst)) || p.tooOld(m, now):
			g.total--
			p.unpin(g, m)
			stop = append(stop, m)
		case m.pinned:
			keep = append(keep, m)
		case !m.expires.IsZero():
			if now.After(m.expires) {
				g.total--
				stop = append(stop, m)
			} else {
				keep = append(keep, m)
			}
		case idle > pre+ka:
			g.total--
			stop = append(stop, m)
		case pre > 0:
			// Inside the pre-warm window: the next call is not expected
			// before it ends, so the memory is given back now and one
			// instance comes back when the window ends.
			g.total--
			stop = append(stop, m)
			if at := m.lastUsed.Add(pre); at.After(g.warm.at) {
				g.warm.at, g.warm.until = at, at.Add(ka)
			}
		default:
			keep = append(keep, m)
		}
	}
	g.idle = keep
	if !g.warm.at.IsZero() && !now.Before(g.warm.at) {
		if now.Before(g.warm.until) && g.total == 0 && !g.retired && !p.closed {
			g.total++
			g.starting++
			g.warm.expires = g.warm.until
			p.wg.Add(1)
			go p.start(g)
		}
		g.warm.at, g.warm.until = time.Time{}, time.Time{}
	}
	return stop
}

// greedyDual is the eviction state of the idle-memory budget
// (Greedy-Dual-Size-Frequency, as FaasCache applies it to warm instances):
// an idle instance's priority is clock + frequency × cost / size, where
// frequency is its function's calls, cost its cold-start (init) time and
// size its memory; the lowest priority goes first and the clock rises to
// it, so instances idle for long age out relative to newer ones.
type greedyDual struct {
	clock float64
}

func (p *Pool) priority(m *member) float64 {
	cost := float64(m.inst.InitDuration()) / float64(time.Millisecond)
	size := float64(max(m.memMB, 1))
	return m.gdClock + float64(m.g.calls)*max(cost, 1)/size
}

// evictOverBudget stops idle, unpinned instances by lowest priority until
// their memory fits IdleBudgetMB. p.mu held.
func (p *Pool) evictOverBudget(stop []*member) []*member {
	budget := p.cfg.IdleBudgetMB
	if budget <= 0 {
		return stop
	}
	used := 0
	for _, g := range p.groups {
		for _, m := range g.idle {
			if !m.pinned {
				used += max(m.memMB, 1)
			}
		}
	}
	evicted := 0
	for used > budget {
		victim := p.evictLowest()
		if victim == nil {
			break
		}
		used -= max(victim.memMB, 1)
		stop = append(stop, victim)
		evicted++
	}
	p.cfg.Metrics.InstancesStopped("evicted", evicted)
	return stop
}
