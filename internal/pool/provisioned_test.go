package pool

import (
	"context"
	"testing"
	"time"
)

func TestProvisionedGroups(t *testing.T) {
	p := newPool(t, &simRuntime{}, 10, time.Minute)
	ctx := context.Background()
	if got := p.ProvisionedGroups(); len(got) != 0 {
		t.Fatalf("before: %+v", got)
	}
	if err := p.SetProvisioned("k", "f", noSpec, 256, 2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 ready", func() bool { return p.ProvisionStatus("k").Ready == 2 })
	// An on-demand instance is not provisioned.
	l, err := p.Acquire(ctx, "j", "g", noSpec)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(l, false)
	if got := p.ProvisionedGroups(); len(got) != 1 || got[0] != (ProvisionedGroup{Key: "k", Ready: 2, MemoryMB: 256}) {
		t.Fatalf("provisioned groups %+v", got)
	}
	if err := p.Provision(ctx, "k", "f", noSpec, 0); err != nil {
		t.Fatal(err)
	}
	if got := p.ProvisionedGroups(); len(got) != 0 {
		t.Fatalf("after release: %+v", got)
	}
}
