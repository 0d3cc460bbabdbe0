package scheduler

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Admit takes a slot for one call of tenant's function name, waiting at
// most the configured bound (sync or async) and never past ctx. Over the
// limits it returns a 429 *fn.Error with the throttle reason.
func (s *Scheduler) Admit(ctx context.Context, tenant, name string, sync bool) (*Ticket, error) {
	s.mu.Lock()
	ts := s.tenant(tenant)
	fs := s.fn(tenant, name)
	ok, shared, reason := s.fits(ts, fs)
	if ok {
		t := s.take(ts, fs, shared)
		s.mu.Unlock()
		return t, nil
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
	if shared {
		ts.waiters = append(ts.waiters, w)
	} else {
		fs.waiters = append(fs.waiters, w)
	}
	s.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ch:
		return &Ticket{s: s, ts: ts, fs: fs, shared: shared}, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !removeWaiter(&ts.waiters, w) && !removeWaiter(&fs.waiters, w) {
		// A slot was granted as the wait ended: keep it.
		<-w.ch
		return &Ticket{s: s, ts: ts, fs: fs, shared: shared}, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, s.throttle(ts, name, reason, false)
}

// fits reports whether one more call of fs fits now, which pool it draws
// from, and the throttle reason when it does not. s.mu held.
func (s *Scheduler) fits(ts *tenantState, fs *fnState) (ok, shared bool, reason string) {
	if r := fs.cc.Reserved; r != nil {
		return fs.inUse < *r && len(fs.waiters) == 0, false, fn.ReasonReservedLimit
	}
	return ts.shared < s.cfg.TenantLimit-ts.reserved && len(ts.waiters) == 0, true, fn.ReasonTenantLimit
}

func (s *Scheduler) take(ts *tenantState, fs *fnState, shared bool) *Ticket {
	fs.inUse++
	if shared {
		ts.shared++
	}
	ts.stats.Admitted++
	return &Ticket{s: s, ts: ts, fs: fs, shared: shared}
}

// wake grants freed slots to waiters, oldest first. s.mu held.
func (s *Scheduler) wake(ts *tenantState, fs *fnState) {
	for len(fs.waiters) > 0 && fs.cc.Reserved != nil && fs.inUse < *fs.cc.Reserved {
		w := fs.waiters[0]
		fs.waiters = fs.waiters[1:]
		s.take(ts, fs, false)
		w.ch <- true
	}
	for len(ts.waiters) > 0 && ts.shared < s.cfg.TenantLimit-ts.reserved {
		w := ts.waiters[0]
		ts.waiters = ts.waiters[1:]
		s.take(ts, w.fs, true)
		w.ch <- true
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

// throttle counts and builds the 429. s.mu held.
func (s *Scheduler) throttle(ts *tenantState, name, reason string, disabled bool) error {
	ts.stats.LastThrottle = s.cfg.Now()
	var msg string
	switch {
	case disabled:
		msg = fmt.Sprintf("Rate Exceeded: %s has reserved concurrency 0, which disables it; raise it with `updraft concurrency %s --reserved N` or remove it", name, name)
	case reason == fn.ReasonReservedLimit:
		msg = fmt.Sprintf("Rate Exceeded: %s is at its reserved concurrency; retry later or raise it with `updraft concurrency %s --reserved N`", name, name)
	default:
		msg = fmt.Sprintf("Rate Exceeded: the account is at its concurrency limit of %d unreserved calls in flight; retry later", s.cfg.TenantLimit-ts.reserved)
	}
	if reason == fn.ReasonReservedLimit {
		ts.stats.ThrottledReserved++
	} else {
		ts.stats.ThrottledTenant++
	}
	s.cfg.Metrics.Throttle(reason)
	return &fn.Error{Status: http.StatusTooManyRequests, Type: fn.TypeTooManyRequests, Reason: reason, Message: msg}
}
