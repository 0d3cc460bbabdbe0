package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/pool"
)

// ConfigStore persists per-function concurrency (registry.Concurrency).
type ConfigStore interface {
	Put(ctx context.Context, tenant, name string, cc fn.Concurrency) error
	Delete(ctx context.Context, tenant, name string) error
	All(ctx context.Context) (map[string]fn.Concurrency, error)
}

// Config tunes the scheduler.
type Config struct {
	TenantLimit int // concurrent calls per tenant; default fn.DefaultTenantConcurrency
	// TenantQuota returns a tenant's own concurrency cap (its quota),
	// which replaces TenantLimit for it; 0 or nil: TenantLimit.
	TenantQuota func(tenant string) int
	// SyncWait bounds a sync call's wait for room (a concurrency slot
	// and host capacity, together); 0: none (config's default is 300ms).
	SyncWait  time.Duration
	AsyncWait time.Duration // the same for async sources; default 0
	// Pool supplies instances to admitted calls (Acquire).
	Pool    *pool.Pool
	Store   ConfigStore // nil: configuration lives in memory only
	Metrics *metrics.Metrics
	Now     func() time.Time
	Log     *slog.Logger
}

// Scheduler does the concurrency accounting of every tenant.
type Scheduler struct {
	cfg Config

	mu      sync.Mutex
	tenants map[string]*tenantState
	fns     map[string]*fnState // by fn.Key
}

type tenantState struct {
	name     string
	shared   int // slots in use by functions without a reservation
	reserved int // sum of the reservations of its functions
	waiters  []*waiter
	stats    Stats
}

type fnState struct {
	tenant  string
	cc      fn.Concurrency
	inUse   int
	waiters []*waiter
}

type waiter struct {
	ch chan bool // buffered 1: receives once a slot was taken for it; true: a shared one
	fs *fnState
}

// Stats are a tenant's counters.
type Stats struct {
	Admitted          int64 `json:"admitted"`
	ThrottledReserved int64 `json:"throttled_reserved"`
	ThrottledTenant   int64 `json:"throttled_tenant"`
	// Updraft's own limits: a function's instance cap, host memory.
	ThrottledMaxInstances int64     `json:"throttled_max_instances"`
	ThrottledHostCapacity int64     `json:"throttled_host_capacity"`
	LastThrottle          time.Time `json:"last_throttle,omitzero"`
	InUse                 int       `json:"in_use"`
}

// New builds a scheduler; Start loads the persisted configuration.
func New(cfg Config) *Scheduler {
	if cfg.TenantLimit <= 0 {
		cfg.TenantLimit = fn.DefaultTenantConcurrency
	}
	cfg.SyncWait = max(cfg.SyncWait, 0)
	cfg.AsyncWait = max(cfg.AsyncWait, 0)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Scheduler{cfg: cfg, tenants: map[string]*tenantState{}, fns: map[string]*fnState{}}
}

// Start loads every function's stored configuration.
func (s *Scheduler) Start(ctx context.Context) error {
	if s.cfg.Store == nil {
		return nil
	}
	all, err := s.cfg.Store.All(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: load concurrency: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, cc := range all {
		tenant, name := fn.SplitKey(key)
		s.setLocked(tenant, name, cc)
	}
	return nil
}

// Close releases nothing: the scheduler owns no goroutines.
func (s *Scheduler) Close(ctx context.Context) error { return nil }

// TenantLimit is the tenant-wide concurrency limit.
func (s *Scheduler) TenantLimit() int { return s.cfg.TenantLimit }

// limitOf is ts's concurrency limit: its quota, else TenantLimit.
func (s *Scheduler) limitOf(ts *tenantState) int {
	if s.cfg.TenantQuota != nil {
		if q := s.cfg.TenantQuota(ts.name); q > 0 {
			return q
		}
	}
	return s.cfg.TenantLimit
}

func (s *Scheduler) tenant(t string) *tenantState {
	ts := s.tenants[t]
	if ts == nil {
		ts = &tenantState{name: t}
		s.tenants[t] = ts
	}
	return ts
}

func (s *Scheduler) fn(tenant, name string) *fnState {
	k := fn.Key(tenant, name)
	fs := s.fns[k]
	if fs == nil {
		fs = &fnState{tenant: tenant}
		s.fns[k] = fs
	}
	return fs
}

// Concurrency returns a function's configuration (zero when none is set).
func (s *Scheduler) Concurrency(tenant, name string) fn.Concurrency {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs := s.fns[fn.Key(tenant, name)]; fs != nil {
		return fs.cc
	}
	return fn.Concurrency{}
}

// SetConcurrency validates, persists and applies cc.
func (s *Scheduler) SetConcurrency(ctx context.Context, tenant, name string, cc fn.Concurrency) error {
	if err := cc.Validate(s.cfg.TenantLimit); err != nil {
		return err
	}
	s.mu.Lock()
	if cc.Reserved != nil {
		ts := s.tenant(tenant)
		other := ts.reserved
		if old := s.fns[fn.Key(tenant, name)]; old != nil && old.cc.Reserved != nil {
			other -= *old.cc.Reserved
		}
		if other+*cc.Reserved > s.cfg.TenantLimit {
			s.mu.Unlock()
			return fn.InvalidParameter("reserved concurrency %d for %s leaves too little for the tenant: %d of the limit %d is already reserved by other functions", *cc.Reserved, name, other, s.cfg.TenantLimit)
		}
	}
	s.mu.Unlock()
	if s.cfg.Store != nil {
		if err := s.cfg.Store.Put(ctx, tenant, name, cc); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.setLocked(tenant, name, cc)
	s.mu.Unlock()
	return nil
}

// DeleteConcurrency removes a function's configuration: it shares the
// tenant's unreserved pool again.
func (s *Scheduler) DeleteConcurrency(ctx context.Context, tenant, name string) error {
	if s.cfg.Store != nil {
		if err := s.cfg.Store.Delete(ctx, tenant, name); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.setLocked(tenant, name, fn.Concurrency{})
	s.mu.Unlock()
	return nil
}

// setLocked applies cc and wakes waiters that may now fit. s.mu held.
func (s *Scheduler) setLocked(tenant, name string, cc fn.Concurrency) {
	ts := s.tenant(tenant)
	fs := s.fn(tenant, name)
	if fs.cc.Reserved != nil {
		ts.reserved -= *fs.cc.Reserved
	}
	fs.cc = cc
	if cc.Reserved != nil {
		ts.reserved += *cc.Reserved
	}
	s.wake(ts, fs)
}

// Stats returns a tenant's counters.
func (s *Scheduler) Stats(tenant string) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tenant(tenant)
	st := ts.stats
	st.InUse = ts.shared
	for _, fs := range s.fns {
		if fs.tenant == tenant && fs.cc.Reserved != nil {
			st.InUse += fs.inUse
		}
	}
	return st
}

// Ticket is one admitted call's slot; Release it exactly once when the call
// ends (extra calls are ignored).
type Ticket struct {
	s      *Scheduler
	ts     *tenantState
	fs     *fnState
	shared bool
	once   sync.Once
}

// Release frees the slot and hands it to the oldest waiter that fits.
func (t *Ticket) Release() {
	t.once.Do(func() {
		s := t.s
		s.mu.Lock()
		t.fs.inUse--
		if t.shared {
			t.ts.shared--
		}
		s.wake(t.ts, t.fs)
		s.mu.Unlock()
	})
}

// InFlight is the number of admitted calls of a function not yet released.
func (s *Scheduler) InFlight(tenant, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs := s.fns[fn.Key(tenant, name)]; fs != nil {
		return fs.inUse
	}
	return 0
}

// All returns every function's configuration, keyed by fn.Key.
func (s *Scheduler) All() map[string]fn.Concurrency {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]fn.Concurrency, len(s.fns))
	for k, fs := range s.fns {
		out[k] = fs.cc
	}
	return out
}

// Unreserved is the tenant's limit less every function's reservation.
func (s *Scheduler) Unreserved(tenant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tenant(tenant)
	return s.limitOf(ts) - ts.reserved
}
