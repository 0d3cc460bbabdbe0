package bench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// netIsolation measures what network isolation (serve's default
// --instance-network isolated) adds to an instance's start, against the
// host's network measured alternately in the same run:
//
//   - the sandbox's Start, from set-up to the child's exec, for n starts of
//     /bin/true in this process, isolated and not in turn: the cost itself,
//     without the noise of the platform around it;
//   - Go cold starts (deploy, then first invoke) on two platforms, one per
//     setting, in turn.
func netIsolation(ctx context.Context, w io.Writer, o Options, tmp, goHello string) error {
	if err := sandboxStartCost(w, tmp); err != nil {
		return err
	}
	iso, err := startServe(ctx, o, filepath.Join(tmp, "net-isolated"))
	if err != nil {
		return err
	}
	defer iso.stop()
	host, err := startServe(ctx, o, filepath.Join(tmp, "net-host"), "--instance-network", "host")
	if err != nil {
		return err
	}
	defer host.stop()
	ci, ch := apiclient.New(iso.endpoint, iso.key), apiclient.New(host.endpoint, host.key)
	var ti, th []time.Duration
	for i := range max(o.ColdRuns, 1) {
		a, err := coldRuns(ctx, ci, 1, fmt.Sprintf("netiso-%d", i), goHello, "provided", "")
		if err != nil {
			return err
		}
		b, err := coldRuns(ctx, ch, 1, fmt.Sprintf("nethost-%d", i), goHello, "provided", "")
		if err != nil {
			return err
		}
		ti, th = append(ti, a...), append(th, b...)
	}
	mi, mh := median(ti), median(th)
	Emit(w, Figure{Name: "cold_start_p50_go_isolated_network", Value: ms(mi), Unit: "ms", Baseline: ms(mh),
		Note: "deploy, then first invoke round trip, on serve's default --instance-network isolated; baseline: the same on a platform with --instance-network host, alternately"})
	Emit(w, Figure{Name: "cold_start_cost_p50_go_isolated_network", Value: ms(mi - mh), Unit: "ms", Target: "<= 1",
		Note: "cold_start_p50_go_isolated_network less its baseline: within the noise of a platform round trip; see instance_start_cost_p50_isolated_network"})
	return nil
}

// sandboxStarts is how many instance starts each sandbox figure times.
const sandboxStarts = 200

// sandboxStartCost times sandbox.Start with and without network isolation.
func sandboxStartCost(w io.Writer, tmp string) error {
	iso, err := sandbox.New(sandbox.Config{ScratchDir: filepath.Join(tmp, "sb-isolated")})
	if err != nil {
		return err
	}
	defer iso.Close()
	if !iso.IsolatesNetwork() {
		Emit(w, Figure{Name: "instance_start_p50_isolated_network", Unit: "ms", Note: "not measured: " + iso.Report()})
		return nil
	}
	host, err := sandbox.New(sandbox.Config{ScratchDir: filepath.Join(tmp, "sb-host"), HostNetwork: true})
	if err != nil {
		return err
	}
	defer host.Close()
	var ti, th []time.Duration
	for range sandboxStarts {
		for _, c := range []struct {
			sb *sandbox.Sandbox
			to *[]time.Duration
		}{{iso, &ti}, {host, &th}} {
			d, err := timeStart(c.sb)
			if err != nil {
				return err
			}
			*c.to = append(*c.to, d)
		}
		time.Sleep(5 * time.Millisecond) // the pools refill, as between cold starts
	}
	mi, mh := median(ti), median(th)
	Emit(w, Figure{Name: "instance_start_p50_isolated_network", Value: ms(mi), Unit: "ms", Baseline: ms(mh),
		Note: fmt.Sprintf("sandbox.Start of /bin/true (set-up to exec) in a network namespace of its own from the pool, %d starts; baseline: the same on the host's network, alternately", sandboxStarts)})
	Emit(w, Figure{Name: "instance_start_cost_p50_isolated_network", Value: ms(mi - mh), Unit: "ms", Target: "<= 1"})
	return nil
}

// timeStart times one sandbox.Start of /bin/true, then lets it exit and
// closes its box.
func timeStart(sb *sandbox.Sandbox) (time.Duration, error) {
	cmd := exec.Command("/bin/true")
	t0 := time.Now()
	b, err := sb.Start(cmd, sandbox.Spec{MemoryMB: 128})
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	werr := cmd.Wait()
	if err := b.Close(); err != nil {
		return 0, err
	}
	if werr != nil {
		return 0, fmt.Errorf("/bin/true in the sandbox: %w", werr)
	}
	return d, nil
}
