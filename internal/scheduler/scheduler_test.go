package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// clock is a virtual clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTest(t *testing.T, cfg Config) (*Scheduler, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = c.now
	s := New(cfg)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func ptr(n int) *int { return &n }

func wantThrottle(t *testing.T, err error, reason string) {
	t.Helper()
	var e *fn.Error
	if !errors.As(err, &e) || e.Status != 429 || e.Type != fn.TypeTooManyRequests || e.Reason != reason {
		t.Fatalf("err = %v, want 429 TooManyRequestsException reason %s", err, reason)
	}
}

func admitN(t *testing.T, s *Scheduler, tenant, name string, n int) []*Ticket {
	t.Helper()
	var out []*Ticket
	for i := 0; i < n; i++ {
		tk, err := s.Admit(context.Background(), tenant, name, false)
		if err != nil {
			t.Fatalf("admit %d of %s: %v", i, name, err)
		}
		out = append(out, tk)
	}
	return out
}

func TestTenantLimit(t *testing.T) {
	s, c := newTest(t, Config{TenantLimit: 3})
	ts := admitN(t, s, "t1", "a", 2)
	admitN(t, s, "t1", "b", 1)
	c.advance(time.Minute)
	_, err := s.Admit(context.Background(), "t1", "a", false)
	wantThrottle(t, err, fn.ReasonTenantLimit)
	// Another tenant is not affected.
	admitN(t, s, "t2", "a", 3)
	ts[0].Release()
	ts[0].Release() // idempotent
	admitN(t, s, "t1", "b", 1)
	st := s.Stats("t1")
	if st.ThrottledTenant != 1 || st.Admitted != 4 || st.InUse != 3 || !st.LastThrottle.Equal(c.now()) {
		t.Fatalf("stats = %+v", st)
	}
}

func TestReservedIsGuaranteeAndCeiling(t *testing.T) {
	s, _ := newTest(t, Config{TenantLimit: 5})
	if err := s.SetConcurrency(context.Background(), "t", "r", fn.Concurrency{Reserved: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	admitN(t, s, "t", "r", 2)
	_, err := s.Admit(context.Background(), "t", "r", false)
	wantThrottle(t, err, fn.ReasonReservedLimit)
	// The others share 5-2 = 3.
	admitN(t, s, "t", "other", 3)
	_, err = s.Admit(context.Background(), "t", "other", false)
	wantThrottle(t, err, fn.ReasonTenantLimit)
	// Reservations cannot exceed the limit.
	err = s.SetConcurrency(context.Background(), "t", "x", fn.Concurrency{Reserved: ptr(4)})
	if e := fn.AsError(err); e.Type != fn.TypeInvalidParameterValue {
		t.Fatalf("over-reserving: err = %v", err)
	}
	// Removing the reservation returns it to the shared pool... which is
	// now full of the 3 others plus r's 2 in flight.
	if err := s.DeleteConcurrency(context.Background(), "t", "r"); err != nil {
		t.Fatal(err)
	}
	if got := s.Concurrency("t", "r"); got.Reserved != nil {
		t.Fatalf("after delete: %+v", got)
	}
}

func TestReservedZeroDisables(t *testing.T) {
	s, _ := newTest(t, Config{SyncWait: time.Hour})
	if err := s.SetConcurrency(context.Background(), "t", "off", fn.Concurrency{Reserved: ptr(0)}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Admit(context.Background(), "t", "off", true); done <- err }()
	select {
	case err := <-done:
		wantThrottle(t, err, fn.ReasonReservedLimit)
	case <-time.After(10 * time.Second):
		t.Fatal("a disabled function's call waited instead of failing at once")
	}
}

func TestSyncWaitGetsFreedSlot(t *testing.T) {
	s, _ := newTest(t, Config{TenantLimit: 1, SyncWait: time.Minute})
	tk := admitN(t, s, "t", "a", 1)[0]
	got := make(chan error, 1)
	go func() {
		tk2, err := s.Admit(context.Background(), "t", "b", true)
		if err == nil {
			tk2.Release()
		}
		got <- err
	}()
	// Let the waiter queue up, then free the slot.
	for deadline := time.Now().Add(10 * time.Second); ; {
		s.mu.Lock()
		n := len(s.tenant("t").waiters)
		s.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("waiter never queued")
		}
		time.Sleep(time.Millisecond)
	}
	tk.Release()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if st := s.Stats("t"); st.InUse != 0 || st.Admitted != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestSyncWaitTimesOut(t *testing.T) {
	s, _ := newTest(t, Config{TenantLimit: 1, SyncWait: 20 * time.Millisecond})
	admitN(t, s, "t", "a", 1)
	_, err := s.Admit(context.Background(), "t", "a", true)
	wantThrottle(t, err, fn.ReasonTenantLimit)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2, _ := newTest(t, Config{TenantLimit: 1, SyncWait: time.Hour})
	admitN(t, s2, "t", "a", 1)
	if _, err := s2.Admit(ctx, "t", "a", true); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if n := len(s2.tenant("t").waiters); n != 0 {
		t.Fatalf("%d waiters left", n)
	}
}

type memStore struct{ m map[string]fn.Concurrency }

func (m *memStore) Put(_ context.Context, t, n string, cc fn.Concurrency) error {
	m.m[fn.Key(t, n)] = cc
	return nil
}
func (m *memStore) Delete(_ context.Context, t, n string) error {
	delete(m.m, fn.Key(t, n))
	return nil
}
func (m *memStore) All(context.Context) (map[string]fn.Concurrency, error) {
	return m.m, nil
}

func TestPersisted(t *testing.T) {
	st := &memStore{m: map[string]fn.Concurrency{}}
	s, _ := newTest(t, Config{TenantLimit: 10, Store: st})
	if err := s.SetConcurrency(context.Background(), "t", "a", fn.Concurrency{Reserved: ptr(4), Provisioned: fn.Provisioned{fn.LatestVersion: 2}}); err != nil {
		t.Fatal(err)
	}
	s2, _ := newTest(t, Config{TenantLimit: 10, Store: st})
	if got := s2.Concurrency("t", "a"); got.Reserved == nil || *got.Reserved != 4 || got.Provisioned[fn.LatestVersion] != 2 {
		t.Fatalf("reloaded %+v", got)
	}
	admitN(t, s2, "t", "x", 6)
	_, err := s2.Admit(context.Background(), "t", "x", false)
	wantThrottle(t, err, fn.ReasonTenantLimit)
}
