package pool

import "errors"

// Retire stops every instance of owner's versions: idle ones now, busy ones
// when they are released. New calls start fresh groups. Used on delete.
func (p *Pool) Retire(owner string) {
	p.RetireWhere(owner, func(string) bool { return true })
}

// RetireWhere is Retire for the versions of owner whose key stale accepts
// (a redeploy retires the old revision's, not the new one's).
func (p *Pool) RetireWhere(owner string, stale func(key string) bool) {
	var stop []*member
	p.mu.Lock()
	for key, g := range p.groups {
		if g.owner != owner || !stale(key) {
			continue
		}
		g.retired = true
		stop = append(stop, g.idle...)
		g.total -= len(g.idle)
		g.idle = nil
		delete(p.groups, key)
		if g.total > 0 {
			p.retiring = append(p.retiring, g)
		}
		// Waiters of a retired group are served by the instances being
		// started or released; none are left hanging because scale stops
		// only new starts and Release hands nothing to them — so fail them.
		for _, w := range g.waiters {
			w.ch <- grant{err: ErrRetired}
		}
		g.waiters = nil
	}
	evicted := p.feedStarved(nil)
	p.mu.Unlock()
	closeAll(evicted)
	p.cfg.Metrics.InstancesStopped("retired", len(stop))
	closeAll(stop)
}

// ErrRetired is returned to callers queued on a version that was replaced
// while they waited; they may retry.
var ErrRetired = errors.New("pool: function was redeployed or deleted while the call waited")
