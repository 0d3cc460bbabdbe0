package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

// TestBurstFromZero is issue 5's burst at CI size: n concurrent calls to a
// cold function capped at maxInst instances all succeed, start at most
// maxInst instances, and the counters at /metrics agree. `make bench` runs
// the full 1,000 / 100.
func TestBurstFromZero(t *testing.T) {
	const n, maxInst = 200, 20
	root := moduleRoot(t)
	dir := filepath.Join(t.TempDir(), "hello-go")
	buildGoHello(t, root, dir)

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + d.Addr()
	c := apiclient.New(endpoint, strings.TrimSpace(string(key)))
	zip, err := deploy.PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: "burst", Runtime: "provided", Zip: zip}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutConcurrency(ctx, "burst", fn.Concurrency{MaxInstances: maxInst}); err != nil {
		t.Fatal(err)
	}

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lats  []time.Duration
		errs  []error
		start = make(chan struct{})
	)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			res, err := c.Invoke(cctx, "burst", []byte(`{"name":"b"}`))
			if err == nil && res.FunctionError != "" {
				err = errors.New(string(res.Payload))
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			lats = append(lats, time.Since(t0))
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d calls failed; first: %v", len(errs), n, errs[0])
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	t.Logf("burst of %d, max %d instances: p50 %v p99 %v", n, maxInst, lats[n/2], lats[n*99/100-1])

	// Starts begun for callers that another instance served first finish
	// after the burst; wait for them (bounded) before counting.
	var in *apiclient.Instances
	for deadline := time.Now().Add(15 * time.Second); ; {
		var err error
		if in, err = c.Instances(ctx, "burst"); err != nil {
			t.Fatal(err)
		}
		if !anyStarting(in) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(in.Instances) == 0 || len(in.Instances) > maxInst {
		t.Fatalf("%d instances after the burst, want 1..%d", len(in.Instances), maxInst)
	}
	for _, i := range in.Instances {
		if i.State != "idle" {
			t.Errorf("instance state %q after the burst, want idle", i.State)
		}
	}

	// /metrics needs no key and counts what happened.
	resp, err := http.Get(endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := string(body)
	for _, want := range []string{
		`updraft_invocations_total{outcome="success"} 200`,
		`updraft_instance_starts_total ` + itoa(len(in.Instances)),
		`updraft_invocation_duration_seconds_count 200`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Every instance served at most one cold call; at least one did.
	if !strings.Contains(m, `updraft_invocation_starts_total{kind="cold"} `) {
		t.Errorf("/metrics lacks the cold start count")
	}
	if strings.Contains(m, "updraft_throttles_total{") {
		t.Errorf("/metrics shows throttles in a burst within the limits:\n%s", grepLines(m, "throttles"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func anyStarting(in *apiclient.Instances) bool {
	for _, i := range in.Instances {
		if i.State == "starting" {
			return true
		}
	}
	return false
}
