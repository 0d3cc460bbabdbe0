package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/pool"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// Call is what admission needs to know of one call.
type Call struct {
	Tenant, Function string
	Key              string // the function version's pool key
	MemoryMB         int
	Spec             pool.SpecFunc
	// Sync calls wait up to the configured bound for room; async
	// sources (which retry on their own) do not wait.
	Sync bool
}

// Lease is an admitted call holding an instance. Release it exactly once.
type Lease struct {
	ticket *Ticket
	pl     *pool.Lease
	pool   *pool.Pool
}

// Instance is the leased instance.
func (l *Lease) Instance() runtime.Instance { return l.pl.Instance() }

// Cold reports whether the instance was started for this call.
func (l *Lease) Cold() bool { return l.pl.Cold }

// Release returns the instance (broken: discard it) and the call's slot.
func (l *Lease) Release(broken bool) {
	l.pool.Release(l.pl, broken)
	l.ticket.Release()
}

// Acquire is the one admission path: a concurrency slot (tenant limit,
// reserved concurrency, the function's instance cap), then an instance from
// the pool within the host's capacity. Both waits share one deadline, the
// configured bound; past it the call gets a 429 *fn.Error whose Reason
// names the limit.
func (s *Scheduler) Acquire(ctx context.Context, c Call) (*Lease, error) {
	if s.cfg.Pool == nil {
		return nil, errors.New("scheduler: no pool")
	}
	wait := s.cfg.AsyncWait
	if c.Sync {
		wait = s.cfg.SyncWait
	}
	deadline := time.Now().Add(wait)
	t, err := s.Admit(ctx, c.Tenant, c.Function, c.Sync)
	if err != nil {
		return nil, err
	}
	pl, err := s.cfg.Pool.AcquireWant(ctx, pool.Want{
		Key: c.Key, Owner: fn.Key(c.Tenant, c.Function), MemoryMB: c.MemoryMB,
		Spec: c.Spec, Deadline: deadline,
	})
	if err != nil {
		t.Release()
		if errors.Is(err, pool.ErrNoCapacity) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return nil, s.throttle(s.tenant(c.Tenant), c.Function, fn.ReasonHostCapacity, false)
		}
		return nil, err
	}
	return &Lease{ticket: t, pl: pl, pool: s.cfg.Pool}, nil
}

// Admit takes a slot for one call of tenant's function name, waiting at
// most the configured bound (sync or async) and never past ctx. Over the
// limits it returns a 429 *fn.Error with the throttle reason.
func (s *Scheduler) Admit(ctx context.Context, tenant, name string, sync bool) (*Ticket, error) {
	s.mu.Lock()
	ts := s.tenant(tenant)
	fs := s.fn(tenant, name)
	ok, shared, reason := s.room(ts, fs)
	if ok && len(fs.waiters) == 0 && (!shared || len(ts.waiters) == 0) {
		t := s.take(ts, fs, shared)
		s.mu.Unlock()
		return t, nil
	}
	// It queues behind the function's own waiters (reserved concurrency,
	// instance cap) or the tenant's (unreserved concurrency).
	fnQueue := len(fs.waiters) > 0 || (ok && !shared) || (!ok && reason != fn.ReasonTenantLimit)
	if ok && fnQueue {
		reason = fn.ReasonReservedLimit
	} else if ok {
		reason = fn.ReasonTenantLimit
	}
	wait := s.cfg.AsyncWait
	if sync {
		wait = s.cfg.SyncWait
	}
	disabled := fs.cc.Reserved != nil && *fs.cc.Reserved == 0
	if wait <= 0 || disabled {
		err := s.throttle(ts, name, reason, disabled)
		s.mu.Unlock()
		return nil, err
	}
	w := &waiter{ch: make(chan bool, 1), fs: fs}
	if fnQueue {
		fs.waiters = append(fs.waiters, w)
	} else {
		ts.waiters = append(ts.waiters, w)
	}
	s.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case shared := <-w.ch:
		return &Ticket{s: s, ts: ts, fs: fs, shared: shared}, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !removeWaiter(&ts.waiters, w) && !removeWaiter(&fs.waiters, w) {
		// A slot was granted as the wait ended: keep it.
		return &Ticket{s: s, ts: ts, fs: fs, shared: <-w.ch}, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	_, _, reason = s.room(ts, fs)
	return nil, s.throttle(ts, name, reason, false)
}

// room reports whether one more call of fs fits now, whether it draws from
// the tenant's unreserved pool, and the limit in the way when it does not.
// s.mu held.
func (s *Scheduler) room(ts *tenantState, fs *fnState) (ok, shared bool, reason string) {
	shared = fs.cc.Reserved == nil
	if m := fs.cc.MaxInstances; m > 0 && fs.inUse >= m {
		return false, shared, fn.ReasonMaxInstances
	}
	if r := fs.cc.Reserved; r != nil {
		return fs.inUse < *r, false, fn.ReasonReservedLimit
	}
	return ts.shared < s.limitOf(ts)-ts.reserved, true, fn.ReasonTenantLimit
}

func (s *Scheduler) take(ts *tenantState, fs *fnState, shared bool) *Ticket {
	fs.inUse++
	if shared {
		ts.shared++
	}
	ts.stats.Admitted++
	return &Ticket{s: s, ts: ts, fs: fs, shared: shared}
}

// wake grants freed slots to waiters, oldest first: a function's own queue
// (reserved concurrency, instance cap), then the tenant's. A waiter whose
// function has room but the tenant has not moves to the tenant's queue;
// one at its function's cap moves to the function's. s.mu held.
func (s *Scheduler) wake(ts *tenantState, fs *fnState) {
	for len(fs.waiters) > 0 {
		ok, shared, reason := s.room(ts, fs)
		if !ok && reason != fn.ReasonTenantLimit {
			break
		}
		w := fs.waiters[0]
		fs.waiters = fs.waiters[1:]
		if !ok {
			ts.waiters = append(ts.waiters, w)
			continue
		}
		s.take(ts, fs, shared)
		w.ch <- shared
	}
	for len(ts.waiters) > 0 {
		w := ts.waiters[0]
		ok, shared, reason := s.room(ts, w.fs)
		if !ok && reason == fn.ReasonTenantLimit {
			break
		}
		ts.waiters = ts.waiters[1:]
		if !ok {
			w.fs.waiters = append(w.fs.waiters, w)
			continue
		}
		s.take(ts, w.fs, shared)
		w.ch <- shared
	}
}

func removeWaiter(ws *[]*waiter, w *waiter) bool {
	for i, x := range *ws {
		if x == w {
			*ws = append((*ws)[:i], (*ws)[i+1:]...)
			return true
		}
	}
	return false
}

// throttle counts and builds the 429: one counter, one reason per cause.
// s.mu held.
func (s *Scheduler) throttle(ts *tenantState, name, reason string, disabled bool) error {
	ts.stats.LastThrottle = s.cfg.Now()
	var msg string
	switch {
	case disabled:
		msg = fmt.Sprintf("Rate Exceeded: %s has reserved concurrency 0, which disables it; raise it with `updraft concurrency %s --reserved N` or remove it", name, name)
	case reason == fn.ReasonReservedLimit:
		msg = fmt.Sprintf("Rate Exceeded: %s is at its reserved concurrency; retry later or raise it with `updraft concurrency %s --reserved N`", name, name)
	case reason == fn.ReasonMaxInstances:
		msg = fmt.Sprintf("Rate Exceeded: %s is at its instance cap and none became free within %v; retry later or raise it with `updraft concurrency %s --max-instances N`", name, s.cfg.SyncWait, name)
	case reason == fn.ReasonHostCapacity:
		msg = fmt.Sprintf("Rate Exceeded: the host's memory for functions is held by busy instances and none became free within %v; retry later, lower the function's memory, or give functions more with `updraft serve --function-memory-mb`", s.cfg.SyncWait)
	default:
		msg = fmt.Sprintf("Rate Exceeded: the account is at its concurrency limit of %d unreserved calls in flight; retry later", s.limitOf(ts)-ts.reserved)
	}
	switch reason {
	case fn.ReasonReservedLimit:
		ts.stats.ThrottledReserved++
	case fn.ReasonMaxInstances:
		ts.stats.ThrottledMaxInstances++
	case fn.ReasonHostCapacity:
		ts.stats.ThrottledHostCapacity++
	default:
		ts.stats.ThrottledTenant++
	}
	s.cfg.Metrics.Throttle(ts.name, name, reason)
	return fn.Throttled(reason, "%s", msg)
}
