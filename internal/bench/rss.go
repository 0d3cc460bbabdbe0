package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
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
func rssPerInstance(ctx context.Context, w io.Writer, c *apiclient.Client, srv *serveProc, dir string, warm Target) error {
	const n = 100
	const settle = 3 * time.Second // for the scavenger to return freed pages
	pid := srv.cmd.Process.Pid
	if err := deployDir(ctx, c, dir, "rss-probe", "provided", ""); err != nil {
		return err
	}
	Burst(ctx, warm, n)
	time.Sleep(time.Second)
	// Each reading follows a forced GC: what the burst left as garbage is
	// neither live nor (as much as the scavenger allows) resident.
	liveBefore, err := liveKiB(ctx, srv.pprof)
	if err != nil {
		return err
	}
	time.Sleep(settle)
	before, err := rssKiB(pid)
	if err != nil {
		return err
	}
	res, started, err := burstDeployed(ctx, c, srv.endpoint, srv.key, "rss-probe", n)
	if err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("rss probe: %d errors, first: %s", res.Errors, res.FirstError)
	}
	time.Sleep(time.Second)
	liveAfter, err := liveKiB(ctx, srv.pprof)
	if err != nil {
		return err
	}
	time.Sleep(settle)
	after, err := rssKiB(pid)
	if err != nil {
		return err
	}
	if started == 0 {
		return fmt.Errorf("rss probe started no instance")
	}
	Emit(w, Figure{Name: "platform_rss_per_warm_instance", Value: float64(after-before) / float64(started), Unit: "KiB",
		Target: "<= 64", Note: fmt.Sprintf("serve's RSS growth over %d idle warm instances (function processes not counted), each read 3 s after two forced GCs", started)})
	Emit(w, Figure{Name: "platform_live_memory_per_warm_instance", Value: float64(liveAfter-liveBefore) / float64(started), Unit: "KiB",
		Target: "<= 64", Note: fmt.Sprintf("growth of serve's Go heap in use plus goroutine stacks, each read right after two forced GCs, over %d idle warm instances", started)})
	return c.DeleteFunction(ctx, "rss-probe")
}

// liveKiB forces two GCs in serve (its --pprof heap profile with gc=1; the
// second empties what sync.Pools kept through the first) and returns its
// heap in use plus goroutine stacks, from the MemStats the profile's text
// form ends with.
func liveKiB(ctx context.Context, pprof string) (int64, error) {
	var resp *http.Response
	for range 2 {
		if resp != nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pprof+"/debug/pprof/heap?gc=1&debug=1", nil)
		if err != nil {
			return 0, err
		}
		if resp, err = http.DefaultClient.Do(req); err != nil {
			return 0, err
		}
	}
	defer resp.Body.Close()
	var heap, stack int64 = -1, -1
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			heap, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "# Stack = "); ok { // in use / from the OS
			inuse, _, _ := strings.Cut(v, " ")
			stack, _ = strconv.ParseInt(inuse, 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if heap < 0 || stack < 0 {
		return 0, fmt.Errorf("no HeapInuse or Stack in serve's heap profile")
	}
	return (heap + stack) >> 10, nil
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
