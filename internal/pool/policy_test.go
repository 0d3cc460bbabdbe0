package pool

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/runtime"
)

type vclock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *vclock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *vclock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixedWindows struct{ pre, ka time.Duration }

func (fixedWindows) Arrival(string, time.Time) {}
func (fixedWindows) Done(string, time.Time)    {}
func (f fixedWindows) Windows(string, int) (time.Duration, time.Duration) {
	return f.pre, f.ka
}

// newVirtualPool is a pool on a virtual clock whose reaper the test runs.
func newVirtualPool(t *testing.T, rt runtime.Runtime, cfg Config) (*Pool, *vclock) {
	t.Helper()
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = time.Minute
	}
	cfg.MaxInstances = max(cfg.MaxInstances, 10)
	p, err := New(cfg, rt)
	if err != nil {
		t.Fatal(err)
	}
	c := &vclock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p.now = c.now
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p, c
}

func use(t *testing.T, p *Pool, key string, spec SpecFunc) {
	t.Helper()
	l, err := p.Acquire(context.Background(), key, key, spec)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(l, false)
}

func count(p *Pool, owner string) int {
	in, _ := p.Instances(owner)
	return len(in)
}

func TestPrewarmWindow(t *testing.T) {
	rt := &simRuntime{}
	p, c := newVirtualPool(t, rt, Config{Policy: fixedWindows{pre: 10 * time.Minute, ka: 2 * time.Minute}})
	use(t, p, "f", noSpec)
	c.advance(time.Second)
	p.reap()
	if n := count(p, "f"); n != 0 {
		t.Fatalf("%d instances inside the pre-warm window, want 0", n)
	}
	c.advance(10*time.Minute - 2*time.Second)
	p.reap()
	if n := rt.started.Load(); n != 1 {
		t.Fatalf("pre-warmed before the window ended: %d starts", n)
	}
	c.advance(2 * time.Second)
	p.reap()
	waitFor(t, "the pre-warmed instance", func() bool {
		in, _ := p.Instances("f")
		return len(in) == 1 && in[0].State == "idle"
	})
	// Unused, it lasts until the keep-alive window ends.
	c.advance(time.Minute)
	p.reap()
	if n := count(p, "f"); n != 1 {
		t.Fatalf("pre-warmed instance stopped early")
	}
	c.advance(time.Minute + time.Second)
	p.reap()
	if n := count(p, "f"); n != 0 {
		t.Fatalf("pre-warmed instance outlived its window")
	}
	// Used, it is warm (not cold) and follows the policy again.
	c.advance(time.Hour)
	p.reap()
	use(t, p, "f", noSpec)
}

func TestKeepAliveWindowFromPolicy(t *testing.T) {
	rt := &simRuntime{}
	p, c := newVirtualPool(t, rt, Config{Policy: fixedWindows{ka: 66 * time.Second}})
	use(t, p, "f", noSpec)
	c.advance(65 * time.Second)
	p.reap()
	if count(p, "f") != 1 {
		t.Fatal("stopped inside the keep-alive window")
	}
	c.advance(2 * time.Second)
	p.reap()
	if count(p, "f") != 0 {
		t.Fatal("kept past the keep-alive window")
	}
}

func TestIdleBudgetGreedyDual(t *testing.T) {
	rt := &simRuntime{}
	p, c := newVirtualPool(t, rt, Config{KeepAlive: time.Hour, IdleBudgetMB: 300})
	mem := func(mb int) SpecFunc {
		return func(context.Context) (runtime.Spec, error) { return runtime.Spec{MemoryMB: mb}, nil }
	}
	// "hot" is called often, "cold" once, both 128 MB.
	for range 5 {
		use(t, p, "hot", mem(128))
	}
	use(t, p, "cold", mem(128))
	c.advance(time.Second)
	p.reap()
	if count(p, "hot") != 1 || count(p, "cold") != 1 {
		t.Fatal("evicted within the budget")
	}
	// 512 MB over 300: "big" (1 call / 256 MB) has the lowest priority.
	use(t, p, "big", mem(256))
	p.reap()
	if count(p, "hot") != 1 || count(p, "cold") != 1 || count(p, "big") != 0 {
		t.Fatalf("after eviction: hot %d cold %d big %d, want 1 1 0", count(p, "hot"), count(p, "cold"), count(p, "big"))
	}
	// The clock rose to big's priority: "newer" (1/128 on top of it)
	// outranks "cold" (1/128 from clock 0), which goes next.
	use(t, p, "newer", mem(128))
	p.reap()
	if count(p, "hot") != 1 || count(p, "cold") != 0 || count(p, "newer") != 1 {
		t.Fatalf("after aging: hot %d cold %d newer %d, want 1 0 1", count(p, "hot"), count(p, "cold"), count(p, "newer"))
	}
	if p.gd.clock <= 0 {
		t.Fatalf("Greedy-Dual clock did not advance: %v", p.gd.clock)
	}
}

type countingPolicy struct {
	fixedWindows
	mu             sync.Mutex
	arrived, ended int
}

func (c *countingPolicy) Arrival(string, time.Time) { c.mu.Lock(); c.arrived++; c.mu.Unlock() }
func (c *countingPolicy) Done(string, time.Time)    { c.mu.Lock(); c.ended++; c.mu.Unlock() }

func TestPolicySeesEveryCallEnd(t *testing.T) {
	pol := &countingPolicy{fixedWindows: fixedWindows{ka: time.Minute}}
	rt := &simRuntime{}
	p, _ := newVirtualPool(t, rt, Config{Policy: pol, CapacityMB: 128})
	want := Want{Key: "f", Owner: "f", MemoryMB: 128, Spec: noSpec}
	l, err := p.AcquireWant(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	// A call that times out waiting ends too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := p.AcquireWant(ctx, want); err == nil {
		t.Fatal("second acquire beyond the host's capacity succeeded")
	}
	p.Release(l, false)
	pol.mu.Lock()
	defer pol.mu.Unlock()
	if pol.arrived != 2 || pol.ended != 2 {
		t.Fatalf("arrivals %d ends %d, want 2 and 2", pol.arrived, pol.ended)
	}
}

// An instance past MaxAge is not reused: the next call gets a new one, and
// the reaper stops it when idle (its credentials would expire).
func TestMaxAgeRetiresOldInstances(t *testing.T) {
	rt := &simRuntime{}
	p, c := newVirtualPool(t, rt, Config{KeepAlive: time.Hour, MaxAge: 10 * time.Minute})
	use(t, p, "k", noSpec)
	c.advance(5 * time.Minute)
	use(t, p, "k", noSpec)
	if got := rt.started.Load(); got != 1 {
		t.Fatalf("started %d instances before MaxAge, want 1 (reuse)", got)
	}
	c.advance(6 * time.Minute)
	use(t, p, "k", noSpec)
	if got := rt.started.Load(); got != 2 {
		t.Fatalf("started %d instances, want 2: one past MaxAge must not be reused", got)
	}
	c.advance(11 * time.Minute)
	p.reap()
	if got := count(p, "k"); got != 0 {
		t.Fatalf("%d instances left after the reaper passed MaxAge, want 0", got)
	}
}
