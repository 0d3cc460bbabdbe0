package pool

import (
	"runtime"
	"time"
)

// The methods in this file let a simulation (trace replay, `updraft
// replay`) drive the real pool on a virtual clock instead of Start's
// ticker.

// SetClock replaces the pool's clock. Call before the pool is used.
func (p *Pool) SetClock(now func() time.Time) { p.now = now }

// Reap runs one reaper pass now and waits for the starts it made
// (pre-warms, provisioned replacements).
func (p *Pool) Reap() {
	p.reap()
	p.Settle()
}

// Settle waits until no instance start is under way.
func (p *Pool) Settle() {
	for {
		p.mu.Lock()
		n := 0
		for _, g := range p.groups {
			n += g.starting
		}
		p.mu.Unlock()
		if n == 0 {
			return
		}
		runtime.Gosched()
	}
}

// IdleMB is the memory of every idle instance.
func (p *Pool) IdleMB() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	mb := 0
	for _, g := range p.groups {
		for _, m := range g.idle {
			mb += m.memMB
		}
	}
	return mb
}
