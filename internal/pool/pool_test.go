package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/runtime"
)

// simRuntime is a simulated runtime: instances that take startDelay to
// start and run invocations instantly. It exercises the pool's own logic;
// real processes are covered by the process runtime's and the e2e tests.
type simRuntime struct {
	startDelay time.Duration
	failInit   atomic.Bool
	started    atomic.Int32
	closed     atomic.Int32
}

type simInstance struct {
	rt     *simRuntime
	id     int32
	closed atomic.Bool
	dead   atomic.Bool
}

func (r *simRuntime) NewInstance(ctx context.Context, spec runtime.Spec) (runtime.Instance, error) {
	select {
	case <-time.After(r.startDelay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.failInit.Load() {
		return nil, &runtime.InitError{ErrorType: "Runtime.ExitError"}
	}
	return &simInstance{rt: r, id: r.started.Add(1)}, nil
}

func (i *simInstance) Invoke(ctx context.Context, req *runtime.Request) (*runtime.Response, error) {
	return &runtime.Response{}, nil
}
func (i *simInstance) InitDuration() time.Duration { return 0 }
func (i *simInstance) InitLogs() []byte            { return nil }
func (i *simInstance) Close(ctx context.Context) error {
	if !i.closed.Swap(true) {
		i.rt.closed.Add(1)
	}
	return nil
}

var _ runtime.Instance = (*simInstance)(nil)

func noSpec(context.Context) (runtime.Spec, error) { return runtime.Spec{}, nil }

func newPool(t *testing.T, rt runtime.Runtime, max int, keep time.Duration) *Pool {
	t.Helper()
	p, err := New(Config{KeepAlive: keep, MaxInstances: max}, rt)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func TestWarmReuse(t *testing.T) {
	rt := &simRuntime{}
	p := newPool(t, rt, 10, time.Minute)
	ctx := context.Background()
	l, err := p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Cold {
		t.Fatal("first lease should be cold")
	}
	first := l.Instance()
	p.Release(l, false)
	l, err = p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	if l.Cold || l.Instance() != first {
		t.Fatalf("second lease: cold=%v same=%v, want a warm reuse of the first instance", l.Cold, l.Instance() == first)
	}
	p.Release(l, false)
	if n := rt.started.Load(); n != 1 {
		t.Fatalf("started %d instances, want 1", n)
	}
}

func TestCapAndHandOff(t *testing.T) {
	rt := &simRuntime{startDelay: 5 * time.Millisecond}
	p := newPool(t, rt, 3, time.Minute)
	ctx := context.Background()
	var leases []*Lease
	for range 3 {
		l, err := p.Acquire(ctx, "k", "f", noSpec)
		if err != nil {
			t.Fatal(err)
		}
		leases = append(leases, l)
	}
	// A fourth call must wait for a release, not start a fourth instance.
	got := make(chan *Lease)
	go func() {
		l, err := p.Acquire(ctx, "k", "f", noSpec)
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	select {
	case <-got:
		t.Fatal("fourth acquire succeeded while all 3 instances were busy")
	case <-time.After(50 * time.Millisecond):
	}
	p.Release(leases[1], false)
	l := <-got
	if l.Instance() != leases[1].Instance() {
		t.Fatal("the waiter did not get the released instance")
	}
	if n := rt.started.Load(); n != 3 {
		t.Fatalf("started %d instances, want 3 (the cap)", n)
	}
	// Bounded wait: with everything busy, a short ctx gives up.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.Acquire(short, "k", "f", noSpec); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire over the cap: err=%v, want deadline exceeded", err)
	}
}

func TestWaiterTakesFirstFreeInstance(t *testing.T) {
	// One instance busy; a second call starts an instance that takes a
	// long time, but the busy one frees first: the call must take it.
	rt := &simRuntime{}
	p := newPool(t, rt, 10, time.Minute)
	ctx := context.Background()
	busy, err := p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	rt.startDelay = 300 * time.Millisecond
	start := time.Now()
	go func() {
		time.Sleep(10 * time.Millisecond)
		p.Release(busy, false)
	}()
	l, err := p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 200*time.Millisecond {
		t.Fatalf("waited %v for a cold start although an instance freed after 10ms", waited)
	}
	if l.Instance() != busy.Instance() {
		t.Fatal("did not get the freed instance")
	}
	p.Release(l, false)
}

func TestInitErrorReachesCaller(t *testing.T) {
	rt := &simRuntime{}
	rt.failInit.Store(true)
	p := newPool(t, rt, 10, time.Minute)
	_, err := p.Acquire(context.Background(), "k", "f", noSpec)
	var ie *runtime.InitError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an InitError", err)
	}
	rt.failInit.Store(false)
	l, err := p.Acquire(context.Background(), "k", "f", noSpec)
	if err != nil {
		t.Fatalf("after init recovered: %v", err)
	}
	p.Release(l, false)
}

func TestBrokenInstanceReplaced(t *testing.T) {
	rt := &simRuntime{}
	p := newPool(t, rt, 1, time.Minute)
	ctx := context.Background()
	l, _ := p.Acquire(ctx, "k", "f", noSpec)
	p.Release(l, true)
	if rt.closed.Load() != 1 {
		t.Fatal("broken instance was not closed")
	}
	l2, err := p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !l2.Cold || l2.Instance() == l.Instance() {
		t.Fatal("a broken instance was reused")
	}
	p.Release(l2, false)
}

func TestKeepAliveReapsIdleOnly(t *testing.T) {
	rt := &simRuntime{}
	p := newPool(t, rt, 10, 50*time.Millisecond)
	ctx := context.Background()
	idle, _ := p.Acquire(ctx, "k", "f", noSpec)
	busy, _ := p.Acquire(ctx, "k", "f", noSpec)
	p.Release(idle, false)
	time.Sleep(200 * time.Millisecond)
	if got := rt.closed.Load(); got != 1 {
		t.Fatalf("closed %d instances after the keep-alive, want 1 (the idle one; never the busy one)", got)
	}
	if busy.Instance().(*simInstance).closed.Load() {
		t.Fatal("a busy instance was stopped")
	}
	p.Release(busy, false)
	time.Sleep(200 * time.Millisecond)
	if got := rt.closed.Load(); got != 2 {
		t.Fatalf("closed %d, want 2 once the second went idle: scale to zero", got)
	}
}

func TestRetire(t *testing.T) {
	rt := &simRuntime{}
	p := newPool(t, rt, 10, time.Minute)
	ctx := context.Background()
	a, _ := p.Acquire(ctx, "k1", "f", noSpec)
	b, _ := p.Acquire(ctx, "k1", "f", noSpec)
	p.Release(a, false)
	p.Retire("f")
	if rt.closed.Load() != 1 {
		t.Fatal("idle instance not closed on retire")
	}
	p.Release(b, false)
	if rt.closed.Load() != 2 {
		t.Fatal("busy instance not closed when released after retire")
	}
	l, err := p.Acquire(ctx, "k2", "f", noSpec)
	if err != nil || !l.Cold {
		t.Fatalf("after retire: err=%v cold=%v", err, l != nil && l.Cold)
	}
	p.Release(l, false)
}

func TestConcurrentBurst(t *testing.T) {
	rt := &simRuntime{startDelay: 2 * time.Millisecond}
	p := newPool(t, rt, 8, time.Minute)
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := p.Acquire(context.Background(), "k", "f", noSpec)
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
			p.Release(l, false)
		}()
	}
	wg.Wait()
	if n := rt.started.Load(); n > 8 {
		t.Fatalf("started %d instances, cap is 8", n)
	}
	for _, s := range p.Stats() {
		if s.Busy != 0 || s.Waiting != 0 || s.Starting != 0 {
			t.Fatalf("after the burst: %+v", s)
		}
	}
}

func (i *simInstance) Alive() bool { return !i.dead.Load() }

func TestDeadIdleInstanceReplaced(t *testing.T) {
	rt := &simRuntime{}
	p := newPool(t, rt, 10, time.Minute)
	ctx := context.Background()
	l, _ := p.Acquire(ctx, "k", "f", noSpec)
	first := l.Instance().(*simInstance)
	p.Release(l, false)
	first.dead.Store(true) // the process died while idle
	l, err := p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	if l.Instance() == runtime.Instance(first) || !l.Cold {
		t.Fatal("a dead idle instance was handed out")
	}
	if !first.closed.Load() {
		t.Fatal("the dead instance was not cleaned up")
	}
	p.Release(l, false)
}
