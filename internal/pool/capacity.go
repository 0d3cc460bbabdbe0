package pool

// Host capacity: every instance holds its function's memory size from the
// moment its start is decided until it stops, and the sum stays within
// Config.CapacityMB. The pool is the only place that knows which instances
// exist, so it keeps this account; admission (the scheduler) decides what a
// call that cannot get room is told.

// memUsed is the memory of every instance, starting, idle or busy. p.mu held.
func (p *Pool) memUsed() int {
	used := 0
	for _, g := range p.groups {
		used += g.total * g.memMB
	}
	live := p.retiring[:0]
	for _, g := range p.retiring {
		if g.total > 0 {
			used += g.total * g.memMB
			live = append(live, g)
		}
	}
	clear(p.retiring[len(live):])
	p.retiring = live
	return used
}

// makeRoom reports whether an instance of need MB fits, first evicting idle
// unpinned instances by lowest Greedy-Dual priority (appended to evicted, to
// be closed outside the lock). p.mu held.
func (p *Pool) makeRoom(need int, evicted []*member) ([]*member, bool) {
	if p.cfg.CapacityMB <= 0 {
		return evicted, true
	}
	free := p.cfg.CapacityMB - p.memUsed()
	n := 0
	for free < need {
		victim := p.evictLowest()
		if victim == nil {
			break
		}
		free += victim.g.memMB
		evicted = append(evicted, victim)
		n++
	}
	p.cfg.Metrics.InstancesStopped("capacity", n)
	return evicted, free >= need
}

// evictLowest takes the idle, unpinned instance of lowest priority out of
// its group (nil if there is none) and advances the Greedy-Dual clock to
// its priority; the caller stops it outside the lock. p.mu held.
func (p *Pool) evictLowest() *member {
	victim, vi, vp := p.lowestIdle()
	if victim == nil {
		return nil
	}
	g := victim.g
	g.idle = append(g.idle[:vi], g.idle[vi+1:]...)
	g.total--
	p.gd.clock = vp
	return victim
}

// lowestIdle is the idle, unpinned instance with the lowest priority, its
// index in its group's idle list, and the priority. p.mu held.
func (p *Pool) lowestIdle() (*member, int, float64) {
	var victim *member
	vi, vp := -1, 0.0
	for _, g := range p.groups {
		for i, m := range g.idle {
			if m.pinned {
				continue
			}
			if pr := p.priority(m); victim == nil || pr < vp {
				victim, vi, vp = m, i, pr
			}
		}
	}
	return victim, vi, vp
}

// starve marks g as waiting for memory. p.mu held.
func (p *Pool) starve(g *group) {
	if !g.starved {
		g.starved = true
		p.starved = append(p.starved, g)
	}
}

// feedStarved gives freed memory (and idle instances that may be evicted)
// to starved groups, oldest first; instances evicted for them are appended
// to evicted. p.mu held.
func (p *Pool) feedStarved(evicted []*member) []*member {
	if len(p.starved) == 0 {
		return evicted
	}
	queue := p.starved
	p.starved = nil
	for _, g := range queue {
		g.starved = false
	}
	for i, g := range queue {
		if len(g.waiters) <= g.starting || g.retired {
			continue
		}
		if evicted = p.scale(g, evicted); g.starved {
			// Still no room: the rest keep their place behind it.
			for _, rest := range queue[i+1:] {
				p.starve(rest)
			}
			break
		}
	}
	return evicted
}

// Capacity is the host's memory for functions and how much of it instances
// hold.
type Capacity struct {
	TotalMB int `json:"total_mb"` // 0: no limit
	UsedMB  int `json:"used_mb"`
}

// Capacity reports the host's memory account.
func (p *Pool) Capacity() Capacity {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Capacity{TotalMB: p.cfg.CapacityMB, UsedMB: p.memUsed()}
}
