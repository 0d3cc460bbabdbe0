package pool

import (
	"context"
	"testing"
	"time"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestProvisionedReadyNeverReapedReplaced(t *testing.T) {
	rt := &simRuntime{startDelay: 5 * time.Millisecond}
	p := newPool(t, rt, 10, 20*time.Millisecond)
	ctx := context.Background()
	if err := p.Provision(ctx, "k", "f", noSpec, 2); err != nil {
		t.Fatal(err)
	}
	insts, _ := p.Instances("f")
	if len(insts) != 2 || insts[0].State != "provisioned" || insts[1].State != "provisioned" {
		t.Fatalf("after Provision: %+v", insts)
	}
	// An on-demand instance beside them is reaped; the pinned ones stay.
	var ls []*Lease
	for range 3 {
		l, err := p.Acquire(ctx, "k", "f", noSpec)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	for _, l := range ls {
		p.Release(l, false)
	}
	waitFor(t, "the on-demand instance to be reaped", func() bool { return rt.closed.Load() == 1 })
	time.Sleep(60 * time.Millisecond) // several keep-alives
	if insts, _ := p.Instances("f"); len(insts) != 2 {
		t.Fatalf("pinned instances reaped: %+v", insts)
	}
	// A pinned instance that dies is replaced.
	l, err := p.Acquire(ctx, "k", "f", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(l, true)
	waitFor(t, "a replacement", func() bool {
		insts, _ := p.Instances("f")
		return len(insts) == 2 && insts[0].State == "provisioned" && insts[1].State == "provisioned"
	})
	// Lowering the target hands them to the keep-alive policy.
	if err := p.Provision(ctx, "k", "f", noSpec, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "unpinned instances to be reaped", func() bool {
		insts, _ := p.Instances("f")
		return len(insts) == 0
	})
}

func TestProvisionFailureAndMax(t *testing.T) {
	rt := &simRuntime{}
	rt.failInit.Store(true)
	p := newPool(t, rt, 10, time.Minute)
	if err := p.Provision(context.Background(), "k", "f", noSpec, 1); err == nil {
		t.Fatal("Provision succeeded with a failing init")
	}
	rt.failInit.Store(false)
}
