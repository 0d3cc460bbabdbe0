package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// TestBurstFromZero is Lambda's scaling: 100 concurrent calls to a cold
// function that sleeps 1 s each all succeed, none is throttled, and they
// are spread over many instances (the old fixed cap was 10 per version).
//
// How many instances, and how fast, depends on instances starting within
// the calls' second: on a machine busy with other work a start can take
// longer and a freed instance then serves a waiting call first (correct,
// but fewer instances). So this test checks the semantics with a wide
// floor; the figures (wall time, instances) are make bench's "burst".
func TestBurstFromZero(t *testing.T) {
	const n = 100
	c, endpoint, _ := startSleeper(t, 0)
	results, errs, wall := burst(t, c, "sleeper", n, 1000)
	if len(errs) > 0 {
		t.Fatalf("%d of %d calls failed; first: %v", len(errs), n, errs[0])
	}
	instances := map[string]bool{}
	for _, r := range results {
		instances[r] = true
	}
	t.Logf("%d calls of 1 s from zero: %v wall, %d instances", n, wall, len(instances))
	if len(instances) < n/2 {
		t.Errorf("%d instances served %d concurrent calls, want at least %d", len(instances), n, n/2)
	}
	m := metrics(t, endpoint)
	if strings.Contains(m, "updraft_throttles_total{") {
		t.Errorf("/metrics shows throttles in a burst within the limits:\n%s", grepLines(m, "throttles"))
	}
	if !strings.Contains(m, `updraft_invocations_total{function="sleeper",outcome="success",tenant="default"} `) {
		t.Errorf("/metrics lacks the successes:\n%s", grepLines(m, "invocations_total"))
	}
}

// TestHostCapacity: with memory for four 128 MB instances, a burst of ten
// 1 s calls runs four at a time; the rest wait the short admission bound
// and get 429 HostCapacityExceeded, and the server stays up.
func TestHostCapacity(t *testing.T) {
	c, endpoint, _ := startSleeper(t, 4*128)
	_, errs, _ := burst(t, c, "sleeper", 10, 1000)
	if len(errs) != 6 {
		t.Fatalf("%d of 10 calls failed, want 6 throttled: %v", len(errs), errs)
	}
	for _, err := range errs {
		var ae *apiclient.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || !strings.Contains(err.Error(), "HostCapacityExceeded") {
			t.Fatalf("a call beyond capacity: %v, want 429 HostCapacityExceeded", err)
		}
	}
	if m := metrics(t, endpoint); !strings.Contains(m, `updraft_throttles_total{function="sleeper",reason="HostCapacityExceeded",tenant="default"} 6`+"\n") {
		t.Errorf("/metrics:\n%s", grepLines(m, "throttles"))
	}
	// Capacity frees as the calls end: the next call runs.
	if _, err := c.Invoke(context.Background(), "sleeper", []byte(`{"ms":1}`)); err != nil {
		t.Fatalf("a call after the burst: %v", err)
	}
}

// startSleeper runs a daemon (functionMB: its host capacity, 0 for the
// machine's default) with the sleeper function deployed at 128 MB.
func startSleeper(t *testing.T, functionMB int) (*apiclient.Client, string, []byte) {
	t.Helper()
	zip := sleeperZip(t)
	_, c, endpoint := startDaemon(t, t.TempDir(), functionMB)
	if _, _, err := c.Deploy(context.Background(), apiclient.DeployRequest{Name: "sleeper", Runtime: "provided", MemoryMB: 128, TimeoutSec: 10, Zip: zip}); err != nil {
		t.Fatal(err)
	}
	return c, endpoint, zip
}

// sleeperZip builds testdata/sleeper and zips it as a provided function.
func sleeperZip(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "./internal/e2e/testdata/sleeper")
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build sleeper: %v\n%s", err, out)
	}
	zip, err := deploy.PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return zip
}

// startDaemon runs a daemon on dataDir until the test ends (or the caller
// closes it) and returns it with an admin client and its endpoint.
func startDaemon(t *testing.T, dataDir string, functionMB int) (*daemon.Daemon, *apiclient.Client, string) {
	t.Helper()
	return startDaemonWith(t, dataDir, func(cfg *config.Config) {
		cfg.FunctionMemoryMB = functionMB
		cfg.MetricsPublic = true // these tests read /metrics without a key
	})
}

// startDaemonWith is startDaemon with the configuration set by tune.
func startDaemonWith(t *testing.T, dataDir string, tune func(*config.Config)) (*daemon.Daemon, *apiclient.Client, string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Listen = "127.0.0.1:0"
	tune(&cfg)
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + d.Addr()
	return d, apiclient.New(endpoint, strings.TrimSpace(string(key))), endpoint
}

// burst makes n concurrent calls that sleep ms each and returns the
// instance ids of the successes, the errors, and the wall time.
func burst(t *testing.T, c *apiclient.Client, name string, n, ms int) ([]string, []error, time.Duration) {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results []string
		errs    []error
		start   = make(chan struct{})
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	payload := []byte(`{"ms":` + itoa(ms) + `}`)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := c.Invoke(ctx, name, payload)
			var out struct{ Instance string }
			if err == nil && res.FunctionError != "" {
				err = errors.New(string(res.Payload))
			}
			if err == nil {
				err = json.Unmarshal(res.Payload, &out)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			results = append(results, out.Instance)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return results, errs, time.Since(t0)
}

func metrics(t *testing.T, endpoint string) string {
	t.Helper()
	resp, err := http.Get(endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
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
