package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// TestRedeployRetiresOldInstances: a redeploy's change reaches control
// through the registry's watch, which stops the old revision's idle
// instances; the new revision serves the next call, and a provisioned
// $LATEST is provisioned again on the new revision.
func TestRedeployRetiresOldInstances(t *testing.T) {
	c, _, zip := startSleeper(t, 0)
	ctx := context.Background()
	if _, err := c.Invoke(ctx, "sleeper", []byte(`{"ms":1}`)); err != nil {
		t.Fatal(err)
	}
	in := instances(t, c)
	if len(in) != 1 || !strings.HasSuffix(in[0].Version, "/1") {
		t.Fatalf("after one call: %+v, want one instance of revision 1", in)
	}
	// Redeploy with another memory size: a new revision.
	if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: "sleeper", Runtime: "provided", MemoryMB: 256, TimeoutSec: 10, Zip: zip}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old revision's instance to stop", func() bool { return len(instances(t, c)) == 0 })
	if _, err := c.Invoke(ctx, "sleeper", []byte(`{"ms":1}`)); err != nil {
		t.Fatal(err)
	}
	if in := instances(t, c); len(in) != 1 || !strings.HasSuffix(in[0].Version, "/2") {
		t.Fatalf("after a call on the new revision: %+v", in)
	}
	// Provisioned $LATEST follows the next redeploy to revision 3.
	if _, err := c.PutConcurrency(ctx, "sleeper", fn.Concurrency{Provisioned: fn.Provisioned{fn.LatestVersion: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: "sleeper", Runtime: "provided", MemoryMB: 128, TimeoutSec: 10, Zip: zip}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a provisioned instance of revision 3 alone", func() bool {
		in := instances(t, c)
		return len(in) == 1 && in[0].Provisioned && in[0].State == "provisioned" && strings.HasSuffix(in[0].Version, "/3")
	})
}

func instances(t *testing.T, c *apiclient.Client) []apiclient.Instance {
	t.Helper()
	in, err := c.Instances(context.Background(), "sleeper")
	if err != nil {
		t.Fatal(err)
	}
	return in.Instances
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOlderProvisionedConfigMigrates: a provisioned concurrency config that
// a server before the control plane stored in the function's definition
// (and never applied) moves into the function's concurrency settings at
// start, where it keeps an instance warm.
func TestOlderProvisionedConfigMigrates(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d, c, _ := startDaemon(t, data, 0)
	if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: "sleeper", Runtime: "provided", MemoryMB: 128, TimeoutSec: 10, Zip: sleeperZip(t)}); err != nil {
		t.Fatal(err)
	}
	f, err := d.Registry().GetFunction(ctx, "default", "sleeper")
	if err != nil {
		t.Fatal(err)
	}
	f.Provisioned = map[string]int{fn.LatestVersion: 1}
	if err := d.Registry().PutFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}

	d2, c2, _ := startDaemon(t, data, 0)
	cc, err := c2.GetConcurrency(ctx, "sleeper")
	if err != nil || cc.Provisioned[fn.LatestVersion] != 1 {
		t.Fatalf("concurrency after the restart: %+v %v, want provisioned $LATEST=1", cc, err)
	}
	if f, err := d2.Registry().GetFunction(ctx, "default", "sleeper"); err != nil || f.Provisioned != nil {
		t.Fatalf("the definition still holds %v (%v)", f.Provisioned, err)
	}
	in := instances(t, c2)
	if len(in) != 1 || in[0].State != "provisioned" {
		t.Fatalf("instances after the restart: %+v, want one provisioned", in)
	}
}
