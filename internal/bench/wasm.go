package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime/wasm/wasmtest"
)

// wasmColdRuns is the sample: cold start p50 of 20.
const wasmColdRuns = 20

// wasmGuests builds the Wasm guests the figures use, one directory each:
// the two examples (a Go reactor through guest/wasm, a Go WASI command)
// and two hand-assembled modules standing for what C or TinyGo without a
// libc compile to (an echo command; a reactor answering {}).
func wasmGuests(root, tmp string) (map[string]string, error) {
	dirs := map[string]string{}
	for _, g := range []struct {
		name, pkg string
		reactor   bool
		module    []byte
	}{
		{name: "reactor_go", pkg: "./examples/hello-wasm-go", reactor: true},
		{name: "command_go", pkg: "./examples/hello-wasm-wasi"},
		{name: "command_minimal", module: wasmtest.EchoCommand()},
		{name: "reactor_minimal", module: wasmtest.RecursionReactor()},
	} {
		dir := filepath.Join(tmp, "wasm-"+g.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		out := filepath.Join(dir, "fn.wasm")
		var err error
		if g.pkg != "" {
			err = wasmtest.BuildGo(root, g.pkg, out, g.reactor)
		} else {
			_, err = wasmtest.WriteModule(dir, "fn.wasm", g.module)
		}
		if err != nil {
			return nil, err
		}
		dirs[g.name] = dir
	}
	return dirs, nil
}

// wasmFigures: cold starts of each guest style (the module compiled at
// deploy, before the timed first invoke), the Go reactor's warm latency and
// throughput against a plain Go server answering the same bytes, and the
// platform's memory per warm reactor instance.
func wasmFigures(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, srv *serveProc, tmp string) error {
	dirs, err := wasmGuests(o.Root, tmp)
	if err != nil {
		return err
	}
	baseline, err := coldBaseline(ctx, o.Self, wasmColdRuns)
	if err != nil {
		return err
	}
	for _, g := range []struct{ name, target, note string }{
		{"command_minimal", "<= 1", "a hand-assembled WASI echo command (what C or TinyGo without libc compile to): _start per call"},
		{"command_go", "<= 10", "examples/hello-wasm-wasi, GOOS=wasip1: the Go runtime starts in every call"},
		{"reactor_minimal", "<= 1", "a hand-assembled reactor (the updraft_* ABI)"},
		{"reactor_go", "<= 1", "examples/hello-wasm-go through guest/wasm: instantiation, the Go runtime's _initialize, the first call"},
	} {
		times, err := coldRuns(ctx, c, wasmColdRuns, "cold-wasm-"+g.name, dirs[g.name], fn.RuntimeWasm, "")
		if err != nil {
			return err
		}
		Emit(w, Figure{Name: "cold_start_p50_wasm_" + g.name, Value: ms(median(times)), Unit: "ms", Baseline: ms(baseline), Target: g.target,
			Note: g.note + "; deploy (compiles), then the first invoke's round trip, p50 of 20; baseline: exec of a plain Go HTTP server to its first answer"})
	}
	if err := wasmWarm(ctx, w, o, c, srv, dirs["reactor_go"]); err != nil {
		return err
	}
	return wasmRSS(ctx, w, c, srv, dirs["reactor_go"])
}

// wasmWarm is the Go reactor's warm path against a plain Go server
// answering its bytes: p50 added at 1 client, throughput at 16 clients.
func wasmWarm(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, srv *serveProc, dir string) error {
	const name = "hello-wasm"
	if err := deployDir(ctx, c, dir, name, fn.RuntimeWasm, ""); err != nil {
		return err
	}
	first, err := c.Invoke(ctx, name, []byte(`{}`))
	if err != nil {
		return err
	}
	if first.FunctionError != "" {
		return fmt.Errorf("%s failed: %s", name, first.Payload)
	}
	baseAddr, stopBase, err := startBaseline(ctx, o.Self, first.Payload)
	if err != nil {
		return err
	}
	defer stopBase()
	base := Target{URL: "http://" + baseAddr + "/", Body: []byte(`{}`)}
	plat := Target{
		URL:    srv.endpoint + "/2015-03-31/functions/" + name + "/invocations",
		Header: http.Header{"Authorization": {"Bearer " + srv.key}},
		Body:   []byte(`{}`),
	}
	us := func(x time.Duration) float64 { return float64(x) / float64(time.Microsecond) }
	b1 := Load(ctx, base, 1, o.Duration)
	p1 := Load(ctx, plat, 1, o.Duration)
	if p1.Errors > 0 {
		return fmt.Errorf("wasm warm 1 client: %d errors, first: %s", p1.Errors, p1.FirstError)
	}
	Emit(w, Figure{Name: "wasm_warm_p50_1client", Value: us(p1.Percentile(50)), Unit: "us", Baseline: us(b1.Percentile(50))})
	Emit(w, Figure{Name: "wasm_warm_overhead_p50_1client", Value: us(p1.Percentile(50) - b1.Percentile(50)), Unit: "us", Target: "<= 30",
		Note: "the Go reactor's p50 added to the plain server's (same bytes, same load generator)"})
	b16 := Load(ctx, base, 16, o.Duration)
	p16 := Load(ctx, plat, 16, o.Duration)
	if p16.Errors > 0 {
		return fmt.Errorf("wasm warm 16 clients: %d errors, first: %s", p16.Errors, p16.FirstError)
	}
	Emit(w, Figure{Name: "wasm_warm_throughput_16clients", Value: p16.Throughput(), Unit: "req/s", Baseline: b16.Throughput(), Target: "ratio >= 0.70",
		Note: "the Go reactor at 16 clients, as a share of the plain server's throughput"})
	// The same function on the process runtime, through the same gateway
	// and router: a minimal Runtime API client in a sandboxed process.
	raw, err := processTwin(ctx, o, c, srv)
	if err != nil {
		return err
	}
	r1 := Load(ctx, raw, 1, o.Duration)
	r16 := Load(ctx, raw, 16, o.Duration)
	if r1.Errors+r16.Errors > 0 {
		return fmt.Errorf("process twin: %d errors, first: %s%s", r1.Errors+r16.Errors, r1.FirstError, r16.FirstError)
	}
	Emit(w, Figure{Name: "wasm_warm_overhead_p50_1client_vs_process", Value: us(p1.Percentile(50) - b1.Percentile(50)), Unit: "us",
		Baseline: us(r1.Percentile(50) - b1.Percentile(50)), Note: "p50 added to the plain server's: the Go reactor; baseline: a process function (minimal Runtime API client) in the same run"})
	Emit(w, Figure{Name: "wasm_warm_throughput_16clients_vs_process", Value: p16.Throughput(), Unit: "req/s", Baseline: r16.Throughput(),
		Note: "the Go reactor; baseline: the process function, same run"})
	rig := &warmRig{c: c, callsMade: map[string]int{name: 1 + p1.Calls + p16.Calls}}
	if err := rig.checkRecords(ctx, w, "_wasm", name); err != nil {
		return err
	}
	return c.DeleteFunction(ctx, name)
}

// processTwin deploys the minimal Runtime API client as a process function
// and returns its invoke target.
func processTwin(ctx context.Context, o Options, c *apiclient.Client, srv *serveProc) (Target, error) {
	const name = "hello-raw-twin"
	dir, err := os.MkdirTemp("", "updraft-bench-raw-")
	if err != nil {
		return Target{}, err
	}
	defer os.RemoveAll(dir)
	if err := buildGo(o.Root, "./internal/runtime/process/testdata/rawclient", filepath.Join(dir, "bootstrap")); err != nil {
		return Target{}, err
	}
	if err := deployDir(ctx, c, dir, name, "provided", ""); err != nil {
		return Target{}, err
	}
	return Target{
		URL:    srv.endpoint + "/2015-03-31/functions/" + name + "/invocations",
		Header: http.Header{"Authorization": {"Bearer " + srv.key}},
		Body:   []byte(`{}`),
	}, nil
}

// wasmRSS is the platform's memory per warm Go reactor instance: serve's
// RSS growth over n idle instances, one each of n functions of the same
// code (a reactor answers so fast that a burst to one function starts only
// a few). An instance holds the guest's linear memory and wazero's module
// instance, both in serve; the compiled code is shared, and loaded before
// the first reading.
func wasmRSS(ctx context.Context, w io.Writer, c *apiclient.Client, srv *serveProc, dir string) error {
	const n = 30
	const settle = 3 * time.Second
	names := make([]string, n+1)
	for i := range names {
		names[i] = fmt.Sprintf("rss-wasm-%d", i)
		if err := deployDir(ctx, c, dir, names[i], fn.RuntimeWasm, ""); err != nil {
			return err
		}
	}
	invoke := func(name string) error {
		res, err := c.Invoke(ctx, name, []byte(`{}`))
		if err == nil && res.FunctionError != "" {
			err = fmt.Errorf("%s: %s", name, res.Payload)
		}
		return err
	}
	if err := invoke(names[n]); err != nil { // loads the compiled code
		return err
	}
	pid := srv.cmd.Process.Pid
	if _, err := liveKiB(ctx, srv.pprof); err != nil {
		return err
	}
	time.Sleep(settle)
	before, err := rssKiB(pid)
	if err != nil {
		return err
	}
	for _, name := range names[:n] {
		if err := invoke(name); err != nil {
			return err
		}
	}
	if _, err := liveKiB(ctx, srv.pprof); err != nil {
		return err
	}
	time.Sleep(settle)
	after, err := rssKiB(pid)
	if err != nil {
		return err
	}
	Emit(w, Figure{Name: "platform_rss_per_warm_wasm_reactor", Value: float64(after-before) / n, Unit: "KiB",
		Note: fmt.Sprintf("serve's RSS growth over %d idle warm Go reactor instances (the guest's linear memory included: it lives in serve), read 3 s after two forced GCs", n)})
	for _, name := range names {
		if err := c.DeleteFunction(ctx, name); err != nil {
			return err
		}
	}
	return nil
}
