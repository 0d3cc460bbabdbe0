package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// Options tune a bench run.
type Options struct {
	Root      string        // repository root (examples/ lives there)
	Duration  time.Duration // per load phase
	ColdRuns  int           // cold starts per runtime
	Self      string        // this executable, re-run as the baseline server
	Updraft   string        // the updraft binary to benchmark (bin/updraft)
	LogOutput io.Writer     // the platform's stderr (discarded when nil)
	Only      string        // "warm", "burst", "cold", "rss", "messaging", "netiso", "tables", "s3", "wasm", "routes" or "replay": only those figures
}

// Run measures everything and writes one JSON line per figure to w.
func Run(ctx context.Context, w io.Writer, o Options) error {
	if o.Only == "replay" {
		return replayFigures(ctx, w)
	}
	tmp, err := os.MkdirTemp("", "updraft-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	goHello := filepath.Join(tmp, "hello-go")
	if err := buildGo(o.Root, "./examples/hello-go", filepath.Join(goHello, "bootstrap")); err != nil {
		return err
	}

	// The platform runs as its own process, as users run it: the load
	// generator here and `updraft serve` there, like the baseline below.
	srv, err := startServe(ctx, o, tmp)
	if err != nil {
		return err
	}
	defer srv.stop()
	endpoint, key := srv.endpoint, srv.key
	c := apiclient.New(endpoint, key)
	time.Sleep(500 * time.Millisecond) // let start-up garbage settle
	if o.Only == "" {
		if err := rssIdleFigure(w, srv.cmd.Process.Pid); err != nil {
			return err
		}
	}

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

	// Baseline: a plain Go HTTP server process returning the same bytes.
	baseAddr, stopBase, err := startBaseline(ctx, o.Self, first.Payload)
	if err != nil {
		return err
	}
	defer stopBase()
	base := Target{URL: "http://" + baseAddr + "/", Body: []byte(`{}`)}
	plat := Target{
		URL:    endpoint + "/2015-03-31/functions/hello-go/invocations",
		Header: http.Header{"Authorization": {"Bearer " + key}},
		Body:   []byte(`{}`),
	}
	switch o.Only {
	case "burst":
		return burst(ctx, w, c, endpoint, key, goHello, base)
	case "netiso":
		return netIsolation(ctx, w, o, tmp, goHello)
	case "cold":
		sandboxed, err := cold(ctx, w, c, o, goHello)
		if err != nil {
			return err
		}
		if err := sandboxCost(ctx, w, o, c, tmp, goHello, sandboxed); err != nil {
			return err
		}
		return stemGain(ctx, w, o, tmp)
	}
	if o.Only == "rss" {
		return rssPerInstance(ctx, w, c, srv, goHello, plat)
	}
	if o.Only == "messaging" {
		return messaging(ctx, w, o, c, endpoint, key, tmp, base)
	}
	if o.Only == "routes" {
		return routesFigures(ctx, w, o, tmp, goHello, base)
	}
	if o.Only == "tables" {
		return tablesFigures(ctx, w, o, c, endpoint, tmp, base)
	}
	if o.Only == "s3" {
		return s3Figures(ctx, w, o, c, endpoint, tmp)
	}
	if o.Only == "wasm" {
		return wasmFigures(ctx, w, o, c, srv, tmp)
	}
	if o.Only == "stacks" {
		return stackFigures(ctx, w, o, c)
	}
	// of-watchdog's equivalent: a reverse proxy in front of the baseline.
	proxyAddr, proxyPID, stopProxy, err := startProxy(ctx, o.Self, base.URL)
	if err != nil {
		return err
	}
	defer stopProxy()
	rig := &warmRig{
		base: base, proxy: Target{URL: "http://" + proxyAddr + "/", Body: base.Body}, proxyPID: proxyPID,
		servePID: srv.cmd.Process.Pid, c: c, d: o.Duration, callsMade: map[string]int{"hello-go": 1},
	}
	if err := rig.warm(ctx, w, "", "hello-go", plat); err != nil {
		return err
	}

	// The same with a minimal hand-written Runtime API client instead of
	// aws-lambda-go: the platform's own share of the warm overhead.
	rawDir := filepath.Join(tmp, "hello-raw")
	if err := buildGo(o.Root, "./internal/runtime/process/testdata/rawclient", filepath.Join(rawDir, "bootstrap")); err != nil {
		return err
	}
	if err := deployDir(ctx, c, rawDir, "hello-raw", "provided", ""); err != nil {
		return err
	}
	raw := plat
	raw.URL = endpoint + "/2015-03-31/functions/hello-raw/invocations"
	if err := rig.warm(ctx, w, "_rawclient", "hello-raw", raw); err != nil {
		return err
	}
	if o.Only == "warm" {
		return nil
	}
	if err := burst(ctx, w, c, endpoint, key, goHello, base); err != nil {
		return err
	}
	if err := messaging(ctx, w, o, c, endpoint, key, tmp, base); err != nil {
		return err
	}
	if err := routesFigures(ctx, w, o, tmp, goHello, base); err != nil {
		return err
	}
	if err := tablesFigures(ctx, w, o, c, endpoint, tmp, base); err != nil {
		return err
	}
	if err := s3Figures(ctx, w, o, c, endpoint, tmp); err != nil {
		return err
	}
	if err := rssPerInstance(ctx, w, c, srv, rawDir, plat); err != nil {
		return err
	}
	if err := wasmFigures(ctx, w, o, c, srv, tmp); err != nil {
		return err
	}
	if err := stackFigures(ctx, w, o, c); err != nil {
		return err
	}
	sandboxed, err := cold(ctx, w, c, o, goHello)
	if err != nil {
		return err
	}
	if err := sandboxCost(ctx, w, o, c, tmp, goHello, sandboxed); err != nil {
		return err
	}
	if err := stemGain(ctx, w, o, tmp); err != nil {
		return err
	}
	if err := netIsolation(ctx, w, o, tmp, goHello); err != nil {
		return err
	}
	return replayFigures(ctx, w)
}

// sandboxCost times Go cold starts on a second platform that runs
// functions as plain processes (serve --no-sandbox) and reports what the
// sandbox adds to the sandboxed platform's figure.
func sandboxCost(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, tmp, goHello string, sandboxed time.Duration) error {
	sandboxedRate, err := creationRate(ctx, c, goHello, creations)
	if err != nil {
		return err
	}
	srv, err := startServe(ctx, o, filepath.Join(tmp, "plain"), "--no-sandbox")
	if err != nil {
		return err
	}
	defer srv.stop()
	c = apiclient.New(srv.endpoint, srv.key)
	times, err := coldRuns(ctx, c, o.ColdRuns, "plain-go", goHello, "provided", "")
	if err != nil {
		return err
	}
	plain := median(times)
	Emit(w, Figure{Name: "sandbox_cold_start_p50_go", Value: ms(sandboxed), Unit: "ms", Baseline: ms(plain),
		Note: "cold_start_p50_go with the full sandbox; baseline: the same on a platform with --no-sandbox (plain exec)"})
	Emit(w, Figure{Name: "sandbox_cold_start_cost_p50_go", Value: ms(sandboxed - plain), Unit: "ms", Target: "<= 1.5"})

	plainRate, err := creationRate(ctx, c, goHello, creations)
	if err != nil {
		return err
	}
	Emit(w, Figure{Name: "instance_creation_rate_sandboxed", Value: sandboxedRate, Unit: "instances/s", Baseline: plainRate, Target: ">= 200",
		Note: fmt.Sprintf("%d provisioned Go instances started in parallel, until all are initialised; baseline: the same with --no-sandbox", creations)})
	return nil
}

// creations is how many instances the creation-rate figure starts.
const creations = 100

// cold deploys a fresh function per run and times its first invoke. It
// returns the Go median.
func cold(ctx context.Context, w io.Writer, c *apiclient.Client, o Options, goHello string) (time.Duration, error) {
	baseline, err := coldBaseline(ctx, o.Self, o.ColdRuns)
	if err != nil {
		return 0, err
	}
	var goMedian time.Duration
	cases := []struct {
		rt, dir, runtime, handler, target string
	}{
		{"go", goHello, "provided", "", "<= 5"},
		{"python", filepath.Join(o.Root, "examples", "hello-python"), "python3", "", "<= 15"},
		{"node", filepath.Join(o.Root, "examples", "hello-node"), "node", "", "<= 40"},
	}
	for _, cs := range cases {
		times, err := coldRuns(ctx, c, o.ColdRuns, "cold-"+cs.rt, cs.dir, cs.runtime, cs.handler)
		if err != nil {
			return 0, err
		}
		if cs.rt == "go" {
			goMedian = median(times)
		}
		Emit(w, Figure{Name: "cold_start_p50_" + cs.rt, Value: ms(median(times)), Unit: "ms", Baseline: ms(baseline),
			Target: cs.target, Note: "deploy, then first invoke round trip; baseline: exec of a plain Go HTTP server to its first answer"})
	}
	return goMedian, nil
}

// stemGain times Python and Node cold starts on a second sandboxed
// platform that keeps no stem cells (serve --stem-cells 0): every cold
// start execs its interpreter, as a burst does once the stems are used up.
func stemGain(ctx context.Context, w io.Writer, o Options, tmp string) error {
	srv, err := startServe(ctx, o, filepath.Join(tmp, "nostem"), "--stem-cells", "0")
	if err != nil {
		return err
	}
	defer srv.stop()
	c := apiclient.New(srv.endpoint, srv.key)
	for _, cs := range []struct{ rt, runtime string }{{"python", "python3"}, {"node", "node"}} {
		times, err := coldRuns(ctx, c, o.ColdRuns, "nostem-"+cs.rt, filepath.Join(o.Root, "examples", "hello-"+cs.rt), cs.runtime, "")
		if err != nil {
			return err
		}
		Emit(w, Figure{Name: "cold_start_p50_" + cs.rt + "_no_stem_cells", Value: ms(median(times)), Unit: "ms",
			Note: "cold_start_p50_" + cs.rt + " on a platform without stem cells: exec of the interpreter, runtime client start-up, init"})
	}
	return nil
}

// coldRuns deploys n fresh functions from dir and times each one's first
// invoke.
func coldRuns(ctx context.Context, c *apiclient.Client, n int, prefix, dir, runtime, handler string) ([]time.Duration, error) {
	var times []time.Duration
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		if err := deployDir(ctx, c, dir, name, runtime, handler); err != nil {
			return nil, err
		}
		t0 := time.Now()
		res, err := c.Invoke(ctx, name, []byte(`{}`))
		el := time.Since(t0)
		if err != nil {
			return nil, err
		}
		if res.FunctionError != "" {
			return nil, fmt.Errorf("cold %s: %s", name, res.Payload)
		}
		times = append(times, el)
		if err := c.DeleteFunction(ctx, name); err != nil {
			return nil, err
		}
	}
	return times, nil
}

// coldBaseline execs this program as a plain Go HTTP server and times exec
// to first answer, median of n.
func coldBaseline(ctx context.Context, self string, n int) (time.Duration, error) {
	var times []time.Duration
	for range n {
		t0 := time.Now()
		_, stop, err := startBaseline(ctx, self, []byte(`{"message":"Hello, world!"}`))
		if err != nil {
			return 0, err
		}
		times = append(times, time.Since(t0))
		stop()
	}
	return median(times), nil
}

// startBaseline execs this program as a plain Go HTTP server answering body
// and returns once it answered its first request.
func startBaseline(ctx context.Context, self string, body []byte) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-baseline-server", addr, "-baseline-body", string(body))
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	if err := waitHTTP(ctx, "http://"+addr+"/", 10*time.Second); err != nil {
		stop()
		return "", nil, fmt.Errorf("baseline server: %w", err)
	}
	return addr, stop, nil
}

// waitHTTP polls url until it answers.
func waitHTTP(ctx context.Context, url string, limit time.Duration) error {
	hc := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	for {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Since(t0) > limit || ctx.Err() != nil {
			return fmt.Errorf("%s did not answer within %v: %w", url, limit, err)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// ServeBaseline is the baseline: a plain Go HTTP server answering body.
func ServeBaseline(addr string, body []byte) error {
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
}

type serveProc struct {
	cmd      *exec.Cmd
	endpoint string
	key      string
	pprof    string // http://addr of serve --pprof, "" without
}

// startServe runs `updraft serve` on a fresh data dir and waits for it.
func startServe(ctx context.Context, o Options, tmp string, extra ...string) (*serveProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	paddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(tmp, "data")
	args := append([]string{"serve", "--data-dir", data, "--listen", addr, "--pprof", paddr}, extra...)
	cmd := exec.CommandContext(ctx, o.Updraft, args...)
	// Keep what serve says while it starts, to tell why if it does not.
	var startLog bytes.Buffer
	var logw io.Writer = &lockedBuffer{b: &startLog}
	if o.LogOutput != nil {
		logw = io.MultiWriter(o.LogOutput, logw)
	}
	cmd.Stderr = logw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (run `make build` first)", o.Updraft, err)
	}
	p := &serveProc{cmd: cmd, endpoint: "http://" + addr, pprof: "http://" + paddr}
	if err := waitHTTP(ctx, p.endpoint+"/healthz", 30*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w; serve said:\n%s", err, startLog.String())
	}
	key, err := os.ReadFile(filepath.Join(data, "admin.key"))
	if err != nil {
		p.stop()
		return nil, err
	}
	p.key = string(trimSpace(key))
	return p, nil
}

func (p *serveProc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
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

// lockedBuffer keeps the first 64 KB written to it (read after the
// process is waited for).
type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil // enough to tell why it did not start
	}
	return l.b.Write(p)
}
