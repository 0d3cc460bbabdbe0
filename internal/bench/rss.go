package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// rssKiB reads a process's resident set size from /proc.
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// rssPerInstance measures the platform's own memory per warm instance:
// the serve process's RSS before and after n instances of a fresh function
// started and went idle. The function processes' memory is not counted.
// The function is deployed before the first reading (a deploy's garbage is
// not an instance's cost), and gateway connections for n clients are opened
// by a first burst against the already warm function warmURL, so that the
// figure holds only what instances cost.
func rssPerInstance(ctx context.Context, w io.Writer, c *apiclient.Client, endpoint, key, dir string, pid int, warm Target) error {
	const n = 100
	if err := deployCapped(ctx, c, dir, "rss-probe", n); err != nil {
		return err
	}
	Burst(ctx, warm, n)
	time.Sleep(time.Second)
	before, err := rssKiB(pid)
	if err != nil {
		return err
	}
	res, started, err := burstDeployed(ctx, c, endpoint, key, "rss-probe", n)
	if err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("rss probe: %d errors, first: %s", res.Errors, res.FirstError)
	}
	time.Sleep(time.Second)
	after, err := rssKiB(pid)
	if err != nil {
		return err
	}
	if started == 0 {
		return fmt.Errorf("rss probe started no instance")
	}
	Emit(w, Figure{Name: "platform_rss_per_warm_instance", Value: float64(after-before) / float64(started), Unit: "KiB",
		Target: "<= 64", Note: fmt.Sprintf("serve's RSS growth over %d idle warm instances (function processes not counted)", started)})
	return c.DeleteFunction(ctx, "rss-probe")
}

// rssIdleFigure is the serve process's RSS with nothing deployed.
func rssIdleFigure(w io.Writer, pid int) error {
	kib, err := rssKiB(pid)
	if err != nil {
		return err
	}
	Emit(w, Figure{Name: "platform_rss_idle", Value: float64(kib) / 1024, Unit: "MiB", Target: "<= 60",
		Note: "`updraft serve` just started: embedded NATS JetStream, HTTP API, runtime API server"})
	return nil
}
