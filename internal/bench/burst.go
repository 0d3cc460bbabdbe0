package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// BurstResult is one burst: n requests sent at the same moment.
type BurstResult struct {
	LoadResult
	ServerErrors int // 5xx replies
	Throttled    int // 429 replies
}

// Burst sends n requests to t at once (all released by one barrier) and
// waits for every reply.
func Burst(ctx context.Context, t Target, n int) BurstResult {
	hc := newClient(n)
	hc.Timeout = time.Minute
	defer hc.CloseIdleConnections()
	var (
		mu    sync.Mutex
		res   BurstResult
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			err := do(ctx, hc, t)
			el := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Errors++
				if res.FirstError == "" {
					res.FirstError = err.Error()
				}
				switch s := err.Error(); {
				case strings.HasPrefix(s, "status 5"):
					res.ServerErrors++
				case strings.HasPrefix(s, "status 429"):
					res.Throttled++
				}
				return
			}
			res.Latencies = append(res.Latencies, el)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.Elapsed = time.Since(t0)
	res.Requests = len(res.Latencies)
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res
}

// BurstCold deploys dir as a fresh function, sends n requests at once to
// it while it has no instance, and reports the burst and how many instances
// it started.
func BurstCold(ctx context.Context, c *apiclient.Client, endpoint, key, dir, name string, n int) (BurstResult, int, error) {
	if err := deployDir(ctx, c, dir, name, "provided", ""); err != nil {
		return BurstResult{}, 0, err
	}
	return burstDeployed(ctx, c, endpoint, key, name, n)
}

// burstDeployed sends n requests at once to the deployed function name and
// reports the burst and how many instances it has afterwards.
func burstDeployed(ctx context.Context, c *apiclient.Client, endpoint, key, name string, n int) (BurstResult, int, error) {
	t := Target{
		URL:    endpoint + "/2015-03-31/functions/" + name + "/invocations",
		Header: http.Header{"Authorization": {"Bearer " + key}},
		Body:   []byte(`{}`),
	}
	res := Burst(ctx, t, n)
	in, err := c.Instances(ctx, name)
	if err != nil {
		return res, 0, err
	}
	return res, len(in.Instances), nil
}

// burst is `make bench`'s burst-from-zero figure: 1,000 concurrent
// requests to a cold function with no cap of its own, so every call that
// finds no idle instance starts one, bounded by the host's memory for
// functions; the baseline is the same burst against the plain Go server.
func burst(ctx context.Context, w io.Writer, c *apiclient.Client, endpoint, key, goHello string, base Target) error {
	const n = 1000
	b := Burst(ctx, base, n)
	res, started, err := BurstCold(ctx, c, endpoint, key, goHello, "burst-go", n)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("%d concurrent requests to a cold Go function (128 MB, no instance cap)", n)
	if res.FirstError != "" {
		note += "; first error: " + res.FirstError
	}
	Emit(w, Figure{Name: "burst_errors", Value: float64(res.Errors), Unit: "requests", Target: "0", Note: note})
	Emit(w, Figure{Name: "burst_5xx", Value: float64(res.ServerErrors), Unit: "requests", Target: "0"})
	Emit(w, Figure{Name: "burst_throttled", Value: float64(res.Throttled), Unit: "requests", Target: "0"})
	Emit(w, Figure{Name: "burst_instances_started", Value: float64(started), Unit: "instances",
		Note: "a call that finds no idle instance starts one; a freed instance serves a waiting call first"})
	Emit(w, Figure{Name: "burst_p50", Value: ms(res.Percentile(50)), Unit: "ms", Baseline: ms(b.Percentile(50))})
	Emit(w, Figure{Name: "burst_p99", Value: ms(res.Percentile(99)), Unit: "ms", Baseline: ms(b.Percentile(99)), Target: "<= 2000"})
	Emit(w, Figure{Name: "burst_elapsed", Value: ms(res.Elapsed), Unit: "ms", Baseline: ms(b.Elapsed)})
	// The burst starts its instances in parallel while serving calls.
	Emit(w, Figure{Name: "burst_instance_start_rate", Value: float64(started) / res.Elapsed.Seconds(), Unit: "instances/s",
		Note: "instances the burst started divided by its wall time, calls included"})
	return c.DeleteFunction(ctx, "burst-go")
}

// creationRate deploys dir as a fresh function and asks for n provisioned
// instances, which the pool starts in parallel; the call returns once all
// are initialised. It returns instances per second.
func creationRate(ctx context.Context, c *apiclient.Client, dir string, n int) (float64, error) {
	const name = "create-go"
	if err := deployDir(ctx, c, dir, name, "provided", ""); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if _, err := c.PutConcurrency(ctx, name, fn.Concurrency{Provisioned: fn.Provisioned{fn.LatestVersion: n}}); err != nil {
		return 0, err
	}
	rate := float64(n) / time.Since(t0).Seconds()
	return rate, c.DeleteFunction(ctx, name)
}
