package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// messaging measures the durable asynchronous path: how many events per
// second the platform acknowledges (each stored with fsync before its 202)
// and how soon after its 202 an event's function starts. The baselines are
// measured in the same run: serial fsync'ed appends to a file on the same
// disk (what one durable write costs here), and the same function called
// synchronously.
func messaging(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, endpoint, key, tmp string, base Target) error {
	fsyncs, err := fsyncRate(filepath.Join(tmp, "fsync-baseline"), 2*time.Second)
	if err != nil {
		return err
	}
	async := Target{
		URL:    endpoint + "/2015-03-31/functions/hello-go/invocations",
		Header: http.Header{"Authorization": {"Bearer " + key}, "X-Amz-Invocation-Type": {"Event"}},
		Body:   []byte(`{}`),
		Want:   http.StatusAccepted,
	}
	for _, n := range []int{16, 64} {
		r := Load(ctx, async, n, o.Duration)
		if r.Requests == 0 {
			return fmt.Errorf("async ingest: no event acknowledged: %s", r.FirstError)
		}
		b := Load(ctx, base, n, o.Duration)
		note := fmt.Sprintf("%d clients; baseline: serial fsync'ed 200-byte appends/s on the same disk (%.0f/s); a plain Go server did %.0f req/s",
			n, fsyncs, b.Throughput())
		target := ""
		if n == 16 {
			target = ">= 3000"
		}
		Emit(w, Figure{Name: fmt.Sprintf("async_ingest_%dclients", n), Value: r.Throughput(), Unit: "events/s", Baseline: fsyncs, Target: target, Note: note})
		p99target := ""
		if n == 16 {
			p99target = "<= 20"
		}
		Emit(w, Figure{Name: fmt.Sprintf("async_ack_p99_%dclients", n), Value: ms(r.Percentile(99)), Unit: "ms",
			Baseline: ms(b.Percentile(99)), Target: p99target, Note: "baseline: a plain Go server's p99"})
		if r.Errors > 0 {
			Emit(w, Figure{Name: fmt.Sprintf("async_ingest_errors_%dclients", n), Value: float64(r.Errors), Unit: "requests", Target: "0", Note: r.FirstError})
		}
	}
	return asyncStartLatency(ctx, w, o, c, endpoint, key, tmp)
}

// asyncStartLatency times event → function start: a reporter function
// POSTs to a local server when it starts; the figure is the time from the
// 202 to that POST, p50 over serial events. The baseline is the same
// function called synchronously: the time from sending the call to its
// start report.
func asyncStartLatency(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, endpoint, key, tmp string) error {
	started := make(chan time.Time, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(string(b), "start ") {
			started <- time.Now()
		}
	}))
	defer srv.Close()
	dir := filepath.Join(tmp, "reporter")
	if err := buildGo(o.Root, "./internal/e2e/testdata/reporter", filepath.Join(dir, "bootstrap")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "updraft.yaml"), []byte("env:\n  REPORT_URL: "+srv.URL+"\n"), 0o644); err != nil {
		return err
	}
	if err := deployDir(ctx, c, dir, "reporter", "provided", ""); err != nil {
		return err
	}
	hc := newClient(1)
	call := func(async bool) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/2015-03-31/functions/reporter/invocations", strings.NewReader(`{"id":"x"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		if async {
			req.Header.Set("X-Amz-Invocation-Type", "Event")
		}
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if async {
			t0 = time.Now() // from the acknowledgement
		}
		select {
		case at := <-started:
			// A sync call's reply comes after the start report; wait for
			// the reporter's "done" to settle before the next call.
			return at.Sub(t0), nil
		case <-time.After(30 * time.Second):
			return 0, fmt.Errorf("the reporter did not start within 30 s (status %d)", resp.StatusCode)
		}
	}
	measure := func(async bool) (time.Duration, error) {
		var lat []time.Duration
		for i := range 220 {
			d, err := call(async)
			if err != nil {
				return 0, err
			}
			if i >= 20 { // warm-up
				lat = append(lat, d)
			}
			time.Sleep(5 * time.Millisecond) // let the instance go idle again
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return lat[len(lat)/2], nil
	}
	syncP50, err := measure(false)
	if err != nil {
		return err
	}
	asyncP50, err := measure(true)
	if err != nil {
		return err
	}
	Emit(w, Figure{Name: "async_event_to_start_p50", Value: ms(asyncP50), Unit: "ms", Baseline: ms(syncP50), Target: "<= 5",
		Note: "from the 202 to the function's start; baseline: from sending a synchronous call to its start"})
	return nil
}

// fsyncRate is how many 200-byte appends, each followed by fsync, one
// writer makes per second in dir.
func fsyncRate(dir string, d time.Duration) (float64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	f, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 200)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.Write(buf); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
