package process

// The sandbox scenarios S1–S8 of issue 6 (S7 in noisy_test.go), with real
// processes: each asserts the contained outcome. They skip, with the
// reason, on a host where the sandbox cannot enforce its limits (not root,
// a cgroup controller missing).

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// newSandboxed starts a Runtime whose instances run in a sandbox made with
// cfg, or skips the test with what the host lacks.
func newSandboxed(t testing.TB, cfg sandbox.Config) (*Runtime, *sandbox.Sandbox) {
	t.Helper()
	sb := newTestSandbox(t, cfg)
	return newRuntimeWith(t, Config{Sandbox: sb}), sb
}

// newTestSandbox makes a sandbox closed at the end of the test, after
// checking that no instance cgroup is left; it skips the test with what
// the host lacks.
func newTestSandbox(t testing.TB, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the sandbox needs root (cgroups, namespaces, uid switch); running as uid", os.Geteuid())
	}
	if cfg.ScratchDir == "" {
		cfg.ScratchDir = t.TempDir()
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !sb.Enforced() {
		sb.Close()
		t.Skip(sb.Report())
	}
	t.Cleanup(func() {
		if n := sb.Live(); n != 0 {
			t.Errorf("%d instance cgroups left behind", n)
		}
		if err := sb.Close(); err != nil {
			t.Errorf("sandbox close: %v", err)
		}
	})
	return sb
}

// closeInst closes inst and checks its cgroup is gone.
func closeInst(t testing.TB, sb *sandbox.Sandbox, inst *instance) {
	t.Helper()
	if err := inst.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	if n := sb.Live(); n != 0 {
		t.Fatalf("%d instance cgroups left after close", n)
	}
}

func TestSandboxS1ForkBomb(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{PidsMax: 64})
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"forkbomb","n":100000}`)
	if resp.Outcome == fn.OutcomeSuccess {
		got := decode[struct{ Spawned int }](t, resp.Payload)
		if got.Spawned >= 64 {
			t.Fatalf("spawned %d children past a pids limit of 64", got.Spawned)
		}
		if !strings.Contains(string(resp.Payload), "resource temporarily unavailable") {
			t.Fatalf("want the kernel's refusal, got %s", resp.Payload)
		}
	} // else the Go runtime could not make a thread and died: contained too
	t.Logf("fork bomb: %s %s", resp.Outcome, resp.Payload)
	other := start(t, r, goSpec(helloDir)) // the machine still starts functions
	if _, resp := invoke(t, other, `{"name":"x"}`); resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("neighbour failed: %+v", resp)
	}
	other.Close(context.Background())
	closeInst(t, sb, inst)
}

func TestSandboxS2MemoryBomb(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	inst := start(t, r, goSpec(behaveDir)) // 128 MB
	_, resp := invoke(t, inst, `{"action":"mem","n":512}`)
	if resp.Outcome != fn.OutcomeCrash || resp.ErrorType != "Runtime.OutOfMemory" || !resp.Broken {
		t.Fatalf("want a Runtime.OutOfMemory crash, got %s %s %s", resp.Outcome, resp.ErrorType, resp.Payload)
	}
	if resp.MaxMemoryMB < 100 || resp.MaxMemoryMB > 129 {
		t.Fatalf("Max Memory Used %d MB, want about the 128 MB limit", resp.MaxMemoryMB)
	}
	closeInst(t, sb, inst)
}

func TestSandboxS3CPUSpinPastTimeout(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	spec := goSpec(behaveDir)
	spec.Timeout = 300 * time.Millisecond
	inst := start(t, r, spec)
	t0 := time.Now()
	_, resp := invoke(t, inst, `{"action":"spin"}`)
	if resp.Outcome != fn.OutcomeTimeout || resp.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("want a timeout, got %s %s", resp.Outcome, resp.Payload)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("the spinning instance took %v to stop", d)
	}
	if inst.Alive() {
		t.Fatal("the spinning process survived its timeout")
	}
	closeInst(t, sb, inst)
}

func TestSandboxS4FillTmp(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{TmpMB: 16})
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"filltmp","n":64}`)
	got := decode[struct {
		Written int
		Err     string
	}](t, resp.Payload)
	if !strings.Contains(got.Err, "no space left") || got.Written > 16<<20 {
		t.Fatalf("want ENOSPC within 16 MB, got %+v", got)
	}
	if _, err := os.Stat("/tmp/fill"); err == nil {
		t.Fatal("the instance's /tmp is the host's")
	}
	// The instance still works, and a new one gets an empty /tmp.
	if _, resp := invoke(t, inst, `{"action":"pid"}`); resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("after filling /tmp: %+v", resp)
	}
	other := start(t, r, goSpec(behaveDir))
	_, resp = invoke(t, other, `{"action":"probe","paths":["/tmp/fill"]}`)
	if p := decode[map[string]string](t, resp.Payload); p["read /tmp/fill"] != "ERR no such file or directory" {
		t.Fatalf("a neighbour sees the full /tmp: %v", p)
	}
	other.Close(context.Background())
	closeInst(t, sb, inst)
}

func TestSandboxS5HugeOutput(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	spec := goSpec(behaveDir)
	spec.Timeout = 9 * time.Second // a million 100-byte writes, under -race too
	inst := start(t, r, spec)
	goruntime.GC()
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	_, resp := invoke(t, inst, `{"action":"flood","n":104857600}`)
	goruntime.ReadMemStats(&after)
	if resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("flood: %s %s", resp.Outcome, resp.Payload)
	}
	if len(resp.Logs) > maxLogBytes+1024 || !strings.Contains(string(resp.Logs), "truncated") {
		t.Fatalf("logs of 100 MB output: %d bytes, want truncated to about %d", len(resp.Logs), maxLogBytes)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 32<<20 {
		t.Fatalf("the platform's heap grew by %d MB for 100 MB of output", grew>>20)
	}
	closeInst(t, sb, inst)
}

// probeResult runs the probe action in inst.
func probeResult(t *testing.T, inst *instance, ev string) map[string]string {
	t.Helper()
	_, resp := invoke(t, inst, ev)
	if resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("probe: %s %s", resp.Outcome, resp.Payload)
	}
	return decode[map[string]string](t, resp.Payload)
}

func TestSandboxS6EscapeProbes(t *testing.T) {
	data := t.TempDir() // the platform's data dir: store, keys, all code
	secret := filepath.Join(data, "admin.key")
	otherCode := filepath.Join(data, "code", "other")
	must(t, os.MkdirAll(otherCode, 0o755))
	must(t, os.WriteFile(secret, []byte("admin-key"), 0o644))
	must(t, os.WriteFile(filepath.Join(otherCode, "handler.py"), []byte("secret code"), 0o644))
	r, sb := newSandboxed(t, sandbox.Config{HideDirs: []string{data}})

	a := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, a, `{"action":"writetmp","tag":"neighbour"}`)
	if resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("writetmp: %s", resp.Payload)
	}
	b := start(t, r, goSpec(behaveDir))
	ev := fmt.Sprintf(`{"action":"probe","paths":[%q,%q,"/var/task/bootstrap","/tmp/neighbour","/etc/passwd"],"pid":%d,"url":%q}`,
		secret, filepath.Join(otherCode, "handler.py"), os.Getpid(),
		"http://"+r.apiAddr(&b.spec)+"/"+a.token[:8]+strings.Repeat("0", tokenLen-8)+"/2018-06-01/runtime/invocation/next")
	p := probeResult(t, b, ev)
	t.Logf("probe: %v", p)
	want := map[string]string{
		"read " + secret: "ERR no such file or directory",
		"read " + filepath.Join(otherCode, "handler.py"): "ERR no such file or directory",
		"write /var/task/bootstrap":                      "ERR read-only file system",
		"read /tmp/neighbour":                            "ERR no such file or directory",
		"write /etc/passwd":                              "ERR read-only file system",
		"kill":                                           "ERR no such process",
		"ptrace":                                         "ERR no such process",
		"environ":                                        "ERR no such file or directory",
		"get":                                            "status 404 ",
		"CapEff":                                         "0000000000000000",
		"CapBnd":                                         "0000000000000000",
		"NoNewPrivs":                                     "1",
		"hostname":                                       "updraft",
		"pid":                                            "1",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s: got %q, want %q", k, p[k], v)
		}
	}
	if uid := strings.Fields(p["Uid"]); len(uid) == 0 || uid[0] == "0" {
		t.Errorf("runs as uid %q", p["Uid"])
	}
	if p["procs"] != "1" {
		t.Errorf("sees %s processes in /proc, want only itself", p["procs"])
	}
	// Another instance's process, by its host pid: invisible too.
	p = probeResult(t, b, fmt.Sprintf(`{"action":"probe","pid":%d}`, a.pid))
	if p["kill"] != "ERR no such process" || p["environ"] != "ERR no such file or directory" {
		t.Errorf("a neighbour's process is reachable: %v", p)
	}
	a.Close(context.Background())
	closeInst(t, sb, b)
}

func TestSandboxS8SecretsInvisible(t *testing.T) {
	t.Setenv("UPDRAFT_TEST_SECRET", "s3cr3t-platform-value")
	data := t.TempDir()
	must(t, os.WriteFile(filepath.Join(data, "admin.key"), []byte("s3cr3t-admin-key"), 0o600))
	r, sb := newSandboxed(t, sandbox.Config{HideDirs: []string{data}})
	inst := start(t, r, goSpec(behaveDir))
	_, resp := invoke(t, inst, `{"action":"env"}`)
	if strings.Contains(string(resp.Payload), "s3cr3t") {
		t.Fatalf("the platform's environment leaks: %s", resp.Payload)
	}
	p := probeResult(t, inst, fmt.Sprintf(`{"action":"probe","paths":[%q],"pid":%d}`, filepath.Join(data, "admin.key"), os.Getpid()))
	if strings.Contains(fmt.Sprint(p), "s3cr3t") || strings.Contains(fmt.Sprint(p), "READ") {
		t.Fatalf("a platform secret is readable: %v", p)
	}
	closeInst(t, sb, inst)
}

// TestSandboxTeardownNoLeaks starts and stops instances and checks that no
// cgroup, mount or process is left.
func TestSandboxTeardownNoLeaks(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	mounts := mountCount(t)
	for i := range 40 {
		inst := start(t, r, goSpec(behaveDir))
		if i%2 == 0 {
			invoke(t, inst, `{"action":"spawn","n":1}`) // leaves a child behind
		}
		pid := inst.pid
		closeInst(t, sb, inst)
		waitGone(t, pid, false)
	}
	if n := mountCount(t); n != mounts {
		t.Fatalf("mounts: %d before, %d after", mounts, n)
	}
}

// mountCount counts the host's mounts, leaving out platforms' stem dirs:
// test servers running meanwhile bind them, and this test's sandbox has
// none.
func mountCount(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/mountinfo")
	must(t, err)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(l); len(f) > 4 && !slices.Contains(strings.Split(f[4], "/"), "stems") {
			n++
		}
	}
	return n
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSandboxNetworkNone: a function with network "none" still gets its
// events, but reaches nothing else, not even the host's loopback; nor does
// one with the default, isolated network (sandbox/netiso_test.go tests what
// it does reach); one on the host's network does.
func TestSandboxNetworkNone(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0") // something on the host
	must(t, err)
	defer ln.Close()
	ev := fmt.Sprintf(`{"action":"probe","tag":%q}`, ln.Addr().String())

	hostNet, _ := newSandboxed(t, sandbox.Config{HostNetwork: true})
	open := start(t, hostNet, goSpec(behaveDir))
	if p := probeResult(t, open, ev); p["dial"] != "CONNECTED" {
		t.Fatalf("with the host's network: %v", p)
	}
	isolated := start(t, r, goSpec(behaveDir))
	if p := probeResult(t, isolated, ev); p["dial"] != "ERR connection refused" {
		t.Fatalf("with the isolated network, dial %s: %q", ln.Addr(), p["dial"])
	}
	spec := goSpec(behaveDir)
	spec.Network = fn.NetworkNone
	closed := start(t, r, spec)
	if p := probeResult(t, closed, ev); p["dial"] != "ERR connection refused" {
		t.Fatalf("with network none, dial %s: %q", ln.Addr(), p["dial"])
	}
	// Its Runtime API keeps working call after call.
	for range 3 {
		if _, resp := invoke(t, closed, `{"action":"pid"}`); resp.Outcome != fn.OutcomeSuccess {
			t.Fatalf("invoke: %+v", resp)
		}
	}
	open.Close(context.Background())
	isolated.Close(context.Background())
	closeInst(t, sb, closed)
}

// TestSandboxIsolatedEndpoint: an instance on the isolated network (the
// default) reaches the platform's endpoint, on the host's loopback, at
// AWS_ENDPOINT_URL through its forwarder, a fresh process and a stem alike.
func TestSandboxIsolatedEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "endpoint saw %s", r.URL.Path)
	}))
	defer srv.Close()
	aws := &runtime.AWSAccess{AccessKeyID: "AKID", SecretAccessKey: "secret", Endpoint: srv.Listener.Addr().String()}

	r, sb := newSandboxed(t, sandbox.Config{})
	if !sb.IsolatesNetwork() {
		t.Fatal("the default sandbox does not isolate the network")
	}
	spec := goSpec(behaveDir)
	spec.AWS = aws
	inst := start(t, r, spec)
	ev := fmt.Sprintf(`{"action":"probe","url":"http://%s/direct","tag":%q}`, sandbox.EndpointAddr, srv.Listener.Addr().String())
	p := probeResult(t, inst, ev)
	if p["get"] != "status 200 endpoint saw /direct" {
		t.Fatalf("GET through the forwarder: %v", p)
	}
	if p["dial"] != "ERR connection refused" { // the endpoint's own address is the instance's loopback
		t.Fatalf("dial the endpoint directly: %v", p)
	}
	closeInst(t, sb, inst)

	needInterpreter(t, "python3")
	rs, _ := newStemRuntime(t, true)
	awaitStem(t, rs, fn.RuntimePython)
	ps := langSpec(langDir(t, map[string]string{"app.py": `import os, urllib.request
def handler(event, context):
    with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/stem", timeout=2) as r:
        return [os.environ["AWS_ENDPOINT_URL"], os.environ["AWS_LAMBDA_RUNTIME_API"].split("/")[0], r.read().decode()]
`}), fn.RuntimePython, "app.handler")
	ps.AWS = aws
	stem := start(t, rs, ps)
	_, resp := invoke(t, stem, `{}`)
	if resp.Outcome != fn.OutcomeSuccess {
		t.Fatalf("invoke the stem: %s %s", resp.Outcome, resp.Payload)
	}
	want := []string{"http://" + sandbox.EndpointAddr, sandbox.RuntimeAPIAddr, "endpoint saw /stem"}
	if got := decode[[]string](t, resp.Payload); !slices.Equal(got, want) {
		t.Fatalf("the stem's function: %q, want %q", got, want)
	}
	if s := rs.Stems(); len(s) == 0 || s[0].Taken == 0 {
		t.Fatalf("no stem was taken: %+v", s)
	}
}

// TestSandboxNodeHeap: in its minimal root, without /sys, a Node instance
// gets a heap cap from its memory (nodeHeapFlag), not from the host's RAM;
// NODE_OPTIONS still overrides it.
func TestSandboxNodeHeap(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	needInterpreter(t, "node")
	app := map[string]string{"index.js": `exports.heap = async () =>
  Math.round(require("v8").getHeapStatistics().heap_size_limit / 1048576);`}
	for _, tc := range []struct {
		mem      int
		opts     string
		min, max float64
	}{
		{256, "", 180, 300},
		{1024, "", 700, 1000},
		{256, "--max-old-space-size=512", 500, 700},
	} {
		spec := langSpec(langDir(t, app), fn.RuntimeNode, "index.heap")
		spec.MemoryMB = tc.mem
		if tc.opts != "" {
			spec.Env = map[string]string{"NODE_OPTIONS": tc.opts}
		}
		inst := start(t, r, spec)
		_, resp := invoke(t, inst, `{}`)
		if resp.Outcome != fn.OutcomeSuccess {
			t.Fatalf("invoke: %+v", resp)
		}
		mb := decode[float64](t, resp.Payload)
		if mb < tc.min || mb > tc.max {
			t.Errorf("%d MB, NODE_OPTIONS %q: heap limit %v MB, want %v–%v", tc.mem, tc.opts, mb, tc.min, tc.max)
		}
		closeInst(t, sb, inst)
	}
}
