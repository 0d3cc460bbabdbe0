package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// Options tune a bench run.
type Options struct {
	Root      string        // repository root (examples/ lives there)
	Duration  time.Duration // per load phase
	ColdRuns  int           // cold starts per runtime
	Self      string        // this executable, re-run as the cold-start baseline server
	LogOutput io.Writer     // platform logs (discarded by default)
}

// Run measures everything and writes one JSON line per figure to w.
func Run(ctx context.Context, w io.Writer, o Options) error {
	tmp, err := os.MkdirTemp("", "updraft-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	goHello := filepath.Join(tmp, "hello-go")
	if err := buildGo(o.Root, "./examples/hello-go", filepath.Join(goHello, "bootstrap")); err != nil {
		return err
	}

	logOut := o.LogOutput
	if logOut == nil {
		logOut = io.Discard
	}
	cfg := config.Default()
	cfg.DataDir = filepath.Join(tmp, "data")
	cfg.Listen = "127.0.0.1:0"
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(logOut, nil)))
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return err
	}
	defer d.Close(context.Background())
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		return err
	}
	endpoint := "http://" + d.Addr()
	c := apiclient.New(endpoint, string(trimSpace(key)))

	if err := deployDir(ctx, c, goHello, "hello-go", "provided", ""); err != nil {
		return err
	}
	first, err := c.Invoke(ctx, "hello-go", []byte(`{}`))
	if err != nil {
		return err
	}
	if first.FunctionError != "" {
		return fmt.Errorf("hello-go failed: %s", first.Payload)
	}

	// Baseline: a plain Go HTTP server returning the same bytes.
	body := first.Payload
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bsrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go bsrv.Serve(ln)
	defer bsrv.Close()

	base := Target{URL: "http://" + ln.Addr().String() + "/", Body: []byte(`{}`)}
	plat := Target{
		URL:    endpoint + "/2015-03-31/functions/hello-go/invocations",
		Header: http.Header{"Authorization": {"Bearer " + string(trimSpace(key))}},
		Body:   []byte(`{}`),
	}
	if err := warm(ctx, w, base, plat, o.Duration); err != nil {
		return err
	}
	if err := cold(ctx, w, c, o, goHello); err != nil {
		return err
	}
	return nil
}

func warm(ctx context.Context, w io.Writer, base, plat Target, d time.Duration) error {
	us := func(x time.Duration) float64 { return float64(x) / float64(time.Microsecond) }
	b1 := Load(ctx, base, 1, d)
	p1 := Load(ctx, plat, 1, d)
	if p1.Errors > 0 {
		return fmt.Errorf("warm 1 client: %d errors, first: %s", p1.Errors, p1.FirstError)
	}
	Emit(w, Figure{Name: "warm_p50_1client", Value: us(p1.Percentile(50)), Unit: "us", Baseline: us(b1.Percentile(50))})
	Emit(w, Figure{Name: "warm_p99_1client", Value: us(p1.Percentile(99)), Unit: "us", Baseline: us(b1.Percentile(99))})
	Emit(w, Figure{Name: "warm_overhead_p50_1client", Value: us(p1.Percentile(50) - b1.Percentile(50)), Unit: "us", Target: "<= 150"})
	Emit(w, Figure{Name: "warm_overhead_p99_1client", Value: us(p1.Percentile(99) - b1.Percentile(99)), Unit: "us"})
	Emit(w, Figure{Name: "warm_throughput_1client", Value: p1.Throughput(), Unit: "req/s", Baseline: b1.Throughput()})

	b16 := Load(ctx, base, 16, d)
	p16 := Load(ctx, plat, 16, d)
	if p16.Errors > 0 {
		return fmt.Errorf("warm 16 clients: %d errors, first: %s", p16.Errors, p16.FirstError)
	}
	Emit(w, Figure{Name: "warm_throughput_16clients", Value: p16.Throughput(), Unit: "req/s", Baseline: b16.Throughput(), Target: "ratio >= 0.25"})
	Emit(w, Figure{Name: "warm_p50_16clients", Value: us(p16.Percentile(50)), Unit: "us", Baseline: us(b16.Percentile(50))})
	Emit(w, Figure{Name: "warm_p99_16clients", Value: us(p16.Percentile(99)), Unit: "us", Baseline: us(b16.Percentile(99))})
	return nil
}

// cold deploys a fresh function per run and times its first invoke.
func cold(ctx context.Context, w io.Writer, c *apiclient.Client, o Options, goHello string) error {
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	baseline, err := coldBaseline(ctx, o.Self, o.ColdRuns)
	if err != nil {
		return err
	}
	cases := []struct {
		rt, dir, runtime, handler, target string
	}{
		{"go", goHello, "provided", "", "<= 15"},
		{"python", filepath.Join(o.Root, "examples", "hello-python"), "python3", "", "<= 60"},
		{"node", filepath.Join(o.Root, "examples", "hello-node"), "node", "", "<= 120"},
	}
	for _, cs := range cases {
		var times []time.Duration
		for i := range o.ColdRuns {
			name := fmt.Sprintf("cold-%s-%d", cs.rt, i)
			if err := deployDir(ctx, c, cs.dir, name, cs.runtime, cs.handler); err != nil {
				return err
			}
			t0 := time.Now()
			res, err := c.Invoke(ctx, name, []byte(`{}`))
			el := time.Since(t0)
			if err != nil {
				return err
			}
			if res.FunctionError != "" {
				return fmt.Errorf("cold %s: %s", name, res.Payload)
			}
			times = append(times, el)
			if err := c.DeleteFunction(ctx, name); err != nil {
				return err
			}
		}
		Emit(w, Figure{Name: "cold_start_p50_" + cs.rt, Value: ms(median(times)), Unit: "ms", Baseline: ms(baseline),
			Target: cs.target, Note: "deploy, then first invoke round trip; baseline: exec of a plain Go HTTP server to its first answer"})
	}
	return nil
}

// coldBaseline execs this program as a plain Go HTTP server and times exec
// to first answer, median of n.
func coldBaseline(ctx context.Context, self string, n int) (time.Duration, error) {
	var times []time.Duration
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		addr := ln.Addr().String()
		ln.Close()
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, self, "-baseline-server", addr)
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		hc := &http.Client{Timeout: time.Second}
		for {
			resp, err := hc.Get("http://" + addr + "/")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Since(t0) > 10*time.Second {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				return 0, fmt.Errorf("baseline server did not answer: %w", err)
			}
			time.Sleep(100 * time.Microsecond)
		}
		times = append(times, time.Since(t0))
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	return median(times), nil
}

// ServeBaseline is the cold-start baseline: a plain Go HTTP server.
func ServeBaseline(addr string) error {
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"message":"Hello, world!"}`))
	}))
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func deployDir(ctx context.Context, c *apiclient.Client, dir, name, runtime, handler string) error {
	zip, err := deploy.PackageDir(dir)
	if err != nil {
		return err
	}
	_, _, err = c.Deploy(ctx, apiclient.DeployRequest{Name: name, Runtime: runtime, Handler: handler, Zip: zip})
	return err
}

func buildGo(root, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
