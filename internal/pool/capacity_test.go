package pool

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The host's capacity bounds the memory of all instances: idle instances of
// other versions are evicted to make room, and a call that finds only busy
// instances in the way fails with ErrNoCapacity at its deadline.
func TestCapacityEvictsIdleThenRefuses(t *testing.T) {
	rt := &simRuntime{}
	p, err := New(Config{KeepAlive: time.Hour, CapacityMB: 256}, rt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	ctx := context.Background()
	want := func(key string) Want {
		return Want{Key: key, Owner: key, MemoryMB: 128, Spec: noSpec, Deadline: time.Now().Add(50 * time.Millisecond)}
	}
	a, err := p.AcquireWant(ctx, want("a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.AcquireWant(ctx, want("b"))
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Capacity(); c.UsedMB != 256 {
		t.Fatalf("used %d MB, want 256", c.UsedMB)
	}
	// Both busy: no room for a third version.
	if _, err := p.AcquireWant(ctx, want("c")); !errors.Is(err, ErrNoCapacity) {
		t.Fatalf("third instance: %v, want ErrNoCapacity", err)
	}
	// a goes idle: the next version evicts it.
	p.Release(a, false)
	c, err := p.AcquireWant(ctx, want("c"))
	if err != nil {
		t.Fatalf("after a went idle: %v", err)
	}
	if got := p.Capacity().UsedMB; got != 256 {
		t.Fatalf("used %d MB after the eviction, want 256", got)
	}
	// A starved caller is served as soon as a busy instance goes idle.
	done := make(chan error, 1)
	go func() {
		w := want("d")
		w.Deadline = time.Now().Add(10 * time.Second)
		l, err := p.AcquireWant(ctx, w)
		if err == nil {
			p.Release(l, false)
		}
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	p.Release(b, false)
	if err := <-done; err != nil {
		t.Fatalf("starved caller: %v", err)
	}
	p.Release(c, false)
}

// TestProvisionedWithinCapacity: provisioned instances count against the
// host's memory too; a target beyond it starts what fits and reports
// ErrNoCapacity instead of overcommitting the host.
func TestProvisionedWithinCapacity(t *testing.T) {
	p, err := New(Config{KeepAlive: time.Hour, CapacityMB: 256}, &simRuntime{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	if err := p.SetProvisioned("k", "f", noSpec, 128, 3); err != nil {
		t.Fatal(err)
	}
	p.Settle()
	st := p.ProvisionStatus("k")
	if st.Ready != 2 || !errors.Is(st.Err, ErrNoCapacity) {
		t.Fatalf("3 provisioned of 128 MB in 256 MB: %d ready, err %v; want 2 and ErrNoCapacity", st.Ready, st.Err)
	}
	if got := p.Capacity().UsedMB; got != 256 {
		t.Fatalf("used %d MB, want 256", got)
	}
}
