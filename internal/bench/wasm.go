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
	rig := &warmRig{c: c, callsMade: map[string]int{name: 1 + p1.Calls + p16.Calls}}
	if err := rig.checkRecords(ctx, w, "_wasm", name); err != nil {
		return err
	}
	return c.DeleteFunction(ctx, name)
}

// wasmRSS is the platform's memory per warm Go reactor instance: serve's
// RSS growth over n idle instances, which here hold the guest's linear
// memory and wazero's module instance (the compiled code is shared).
func wasmRSS(ctx context.Context, w io.Writer, c *apiclient.Client, srv *serveProc, dir string) error {
	const n = 50
	const settle = 3 * time.Second
	if err := deployDir(ctx, c, dir, "rss-wasm", fn.RuntimeWasm, ""); err != nil {
		return err
	}
	// One instance first: the module's compiled code is loaded once, not
	// per instance.
	if _, err := c.Invoke(ctx, "rss-wasm", []byte(`{}`)); err != nil {
		return err
	}
	if _, err := liveKiB(ctx, srv.pprof); err != nil {
		return err
	}
	time.Sleep(settle)
	pid := srv.cmd.Process.Pid
	before, err := rssKiB(pid)
	if err != nil {
		return err
	}
	res, started, err := burstDeployed(ctx, c, srv.endpoint, srv.key, "rss-wasm", n)
	if err != nil {
		return err
	}
	if res.Errors > 0 {
		return fmt.Errorf("wasm rss probe: %d errors, first: %s", res.Errors, res.FirstError)
	}
	if _, err := liveKiB(ctx, srv.pprof); err != nil {
		return err
	}
	time.Sleep(settle)
	after, err := rssKiB(pid)
	if err != nil {
		return err
	}
	if started <= 1 {
		return fmt.Errorf("wasm rss probe started %d instances", started)
	}
	Emit(w, Figure{Name: "platform_rss_per_warm_wasm_reactor", Value: float64(after-before) / float64(started-1), Unit: "KiB",
		Note: fmt.Sprintf("serve's RSS growth over %d idle warm Go reactor instances (guest memory included: it lives in serve), read 3 s after two forced GCs", started-1)})
	return c.DeleteFunction(ctx, "rss-wasm")
}
