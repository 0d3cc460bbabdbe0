package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Target is an HTTP endpoint under load.
type Target struct {
	URL    string
	Header http.Header
	Body   []byte
	Want   int // the status of a success; 0 is 200
}

// LoadResult summarises one load run.
type LoadResult struct {
	Requests   int
	Errors     int
	Elapsed    time.Duration
	Latencies  []time.Duration // sorted
	FirstError string
	Calls      int // successful calls, warm-up included
}

// Throughput is requests per second.
func (r LoadResult) Throughput() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Percentile returns the p-th percentile latency (0 < p ≤ 100).
func (r LoadResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	i = min(max(i, 0), len(r.Latencies)-1)
	return r.Latencies[i]
}

func newClient(clients int) *http.Client {
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, DisableCompression: true}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Load runs `clients` closed-loop clients against t for d and returns the
// latencies of every request.
func Load(ctx context.Context, t Target, clients int, d time.Duration) LoadResult {
	hc := newClient(clients)
	defer hc.CloseIdleConnections()
	var (
		mu  sync.Mutex
		res LoadResult
	)
	// Warm up connections and instances.
	for range clients * 5 {
		if do(ctx, hc, t) == nil {
			res.Calls++
		}
	}
	var (
		wg    sync.WaitGroup
		start = time.Now()
		end   = start.Add(d)
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			errs := 0
			var firstErr string
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				if err := do(ctx, hc, t); err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(res.Latencies)
	res.Calls += res.Requests
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res
}

func do(ctx context.Context, hc *http.Client, t Target) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		return err
	}
	for k, v := range t.Header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := t.Want
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want || resp.Header.Get("X-Amz-Function-Error") != "" {
		return fmt.Errorf("status %d %s", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
	}
	return nil
}
