package process

// The sandbox scenarios S1–S8 of issue 6, with real processes: each asserts
// the contained outcome. They skip, with the reason, on a host where the
// sandbox cannot enforce its limits (not root, a cgroup controller missing).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/sandbox"
	"golang.org/x/sys/unix"
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
	ev := fmt.Sprintf(`{"action":"probe","paths":[%q,%q,%q,"/tmp/neighbour","/etc/passwd"],"pid":%d,"url":%q}`,
		secret, filepath.Join(otherCode, "handler.py"), filepath.Join(behaveDir, "bootstrap"), os.Getpid(),
		"http://"+r.Addr()+"/"+a.token[:8]+strings.Repeat("0", tokenLen-8)+"/2018-06-01/runtime/invocation/next")
	p := probeResult(t, b, ev)
	t.Logf("probe: %v", p)
	want := map[string]string{
		"read " + secret: "ERR no such file or directory",
		"read " + filepath.Join(otherCode, "handler.py"): "ERR no such file or directory",
		"write " + filepath.Join(behaveDir, "bootstrap"): "ERR read-only file system",
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

// TestSandboxS7NoisyNeighbour: a function spinning on every CPU is held
// to its quota (one vCPU at 128 MB), and a quiet function's warm p99 beside
// it stays within 2× its idle p99 plus a slack of 1 ms. The spinning call
// is in the background (Box.Background) once it kept a CPU busy over a
// 50 ms window (in the first noisy round; the median ignores that round),
// so the
// quiet function's wakeups preempt it; without that, on these 2-core
// machines, each wakeup of a call can wait out a scheduler slice behind the
// spinner (p99 about 4× idle). When other work keeps more than one task per
// CPU runnable, the slack grows in proportion: every task queued ahead of
// a wakeup adds its slice.
//
// Other test binaries share the cores and their load comes and goes, so
// idle and noisy rounds alternate (the neighbour spins throughout and is
// stopped with SIGSTOP for the idle rounds): a burst of background load
// falls on both alike, and the median of the rounds' p99s ignores a round
// it spoiled. A neighbour that is not contained spoils every round; the
// bound fails only if it fails in each of three attempts. The figures are
// logged.
func TestSandboxS7NoisyNeighbour(t *testing.T) {
	if goruntime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs: the noisy neighbour is capped at one")
	}
	r, sb := newSandboxed(t, sandbox.Config{})
	quiet := start(t, r, goSpec(helloDir))
	noisySpec := goSpec(behaveDir)
	noisySpec.Env = map[string]string{"GOMAXPROCS": fmt.Sprint(goruntime.NumCPU() * 2)}
	noisySpec.Timeout = time.Minute
	noisy := start(t, r, noisySpec)
	must(t, unix.Kill(noisy.pid, unix.SIGSTOP))
	spun := make(chan struct{})
	go func() {
		defer close(spun)
		noisy.Invoke(context.Background(), newRequest(`{"action":"spin"}`, noisySpec.Timeout)) // until closed
	}()
	t.Cleanup(func() { // before start's cleanup of noisy, which ends the call
		noisy.Close(context.Background())
		<-spun
	})
	// spin lets the neighbour run for d, or while f runs, and returns the
	// CPU time it used and the wall time.
	spin := func(d time.Duration, f func()) (used, wall time.Duration) {
		cpu0, t0 := cpuTime(t, noisy.pid), time.Now()
		must(t, unix.Kill(noisy.pid, unix.SIGCONT))
		time.Sleep(d)
		if f != nil {
			f()
		}
		must(t, unix.Kill(noisy.pid, unix.SIGSTOP))
		return cpuTime(t, noisy.pid) - cpu0, time.Since(t0)
	}

	// Alone, a neighbour without a quota would take both CPUs. The quota
	// is per CFS period (100 ms): a window may catch one period more.
	used, wall := spin(time.Second, nil)
	t.Logf("noisy neighbour alone: %v CPU in %v", used.Round(time.Millisecond), wall.Round(time.Millisecond))
	if used > wall*11/10+100*time.Millisecond {
		t.Fatalf("the noisy neighbour used %v of CPU in %v: more than its one vCPU", used, wall)
	}

	const (
		attempts, rounds = 3, 5
		calls            = 250                    // per round, or as many as fit in
		roundMax         = 700 * time.Millisecond // so that a failing run ends in time
		slice            = time.Millisecond       // the slack on a host with CPU to spare
	)
	var load []float64 // runnable tasks besides ours, sampled in idle rounds
	p99 := func(sample bool) time.Duration {
		lat := make([]time.Duration, 0, calls)
		for t0 := time.Now(); len(lat) < calls && time.Since(t0) < roundMax; {
			t1 := time.Now()
			invoke(t, quiet, `{"name":"q"}`)
			lat = append(lat, time.Since(t1))
			if sample && len(lat)%10 == 0 {
				load = append(load, runnable(t)-1)
			}
		}
		slices.Sort(lat)
		return lat[len(lat)*99/100]
	}
	for attempt := 1; ; attempt++ {
		var idle, busy []time.Duration
		used, wall = 0, 0
		for range rounds {
			idle = append(idle, p99(true))
			u, w := spin(50*time.Millisecond, func() { busy = append(busy, p99(false)) })
			used, wall = used+u, wall+w
		}
		idleP99, busyP99 := median(idle), median(busy)
		var others float64 // mean runnable tasks besides ours
		for _, l := range load {
			others += l / float64(len(load))
		}
		slack := time.Duration(float64(slice) * max(1, others/float64(goruntime.NumCPU())))
		bound := 2*idleP99 + slack
		t.Logf("attempt %d: noisy neighbour: %v CPU in %v; quiet p99 by round: idle %v, beside it %v; medians %v and %v (bound %v); other runnable tasks %.1f",
			attempt, used.Round(time.Millisecond), wall.Round(time.Millisecond), idle, busy, idleP99, busyP99, bound, others)
		load = load[:0]
		if used < wall/10 {
			t.Fatalf("the noisy neighbour used only %v of CPU in %v: it did not spin", used, wall)
		}
		if busyP99 <= bound {
			break
		}
		if attempt == attempts {
			t.Fatalf("quiet p99 beside a noisy neighbour %v (median of %d rounds), more than twice its idle %v plus %v, in each of %d attempts",
				busyP99, rounds, idleP99, slack.Round(time.Millisecond), attempts)
		}
	}
	// The spinning call is in the background, unless a busy host never gave
	// it half a CPU; the quiet one, whose calls are short, never was.
	if v := cpuIdle(t, noisy.pid); v != "1" && used >= wall*6/10 {
		t.Errorf("the spinning call's cpu.idle is %q after it used %v of CPU in %v, want 1", v, used, wall)
	}
	if v := cpuIdle(t, quiet.pid); v != "0" {
		t.Errorf("the quiet function's cpu.idle is %q, want 0", v)
	}
	noisy.Close(context.Background())
	<-spun
	closeInst(t, sb, quiet)
}

// cpuIdle reads cpu.idle of pid's CPU cgroup (v1 or v2); it skips the test
// where the kernel has none (Box.Background then lowers the weight).
func cpuIdle(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	must(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir string
		switch {
		case slices.Contains(strings.Split(f[1], ","), "cpu"):
			dir = "/sys/fs/cgroup/cpu" + f[2]
			if _, err := os.Stat(dir); err != nil {
				dir = "/sys/fs/cgroup/cpu,cpuacct" + f[2]
			}
		case f[0] == "0" && f[1] == "" && !strings.Contains(string(b), ":cpu"):
			dir = "/sys/fs/cgroup" + f[2]
		default:
			continue
		}
		v, err := os.ReadFile(dir + "/cpu.idle")
		if errors.Is(err, os.ErrNotExist) {
			t.Skip("no cpu.idle in", dir)
		}
		must(t, err)
		return strings.TrimSpace(string(v))
	}
	t.Fatalf("no CPU cgroup for pid %d in %s", pid, b)
	return ""
}

// runnable is the number of runnable tasks on the host, from /proc/loadavg.
func runnable(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/loadavg")
	must(t, err)
	var n float64
	if f := strings.Fields(string(b)); len(f) > 3 {
		r, _, _ := strings.Cut(f[3], "/")
		fmt.Sscan(r, &n)
	}
	return n
}

// median of ds (which it sorts).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// cpuTime is the CPU time pid's threads have used, from schedstat (ns).
func cpuTime(t *testing.T, pid int) time.Duration {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	must(t, err)
	var sum time.Duration
	for _, e := range ents {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, e.Name()))
		if err != nil {
			continue // the thread just exited
		}
		var ns int64
		fmt.Sscan(string(b), &ns)
		sum += time.Duration(ns)
	}
	return sum
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

func mountCount(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/mountinfo")
	must(t, err)
	return strings.Count(string(b), "\n")
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSandboxNetworkNone: a function with network "none" still gets its
// events, but reaches nothing else, not even the host's loopback.
func TestSandboxNetworkNone(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0") // something on the host
	must(t, err)
	defer ln.Close()
	ev := fmt.Sprintf(`{"action":"probe","tag":%q}`, ln.Addr().String())

	open := start(t, r, goSpec(behaveDir))
	if p := probeResult(t, open, ev); p["dial"] != "CONNECTED" {
		t.Fatalf("with the host's network: %v", p)
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
	closeInst(t, sb, closed)
}

// TestSandboxLongCallInBackground: a call that keeps a CPU busy goes to
// the background (cpu.idle) and its instance gets its weight back when it
// returns; a call that waits as long never leaves the foreground. A host
// so busy that the spinning call never gets half a CPU cannot tell: the
// check is then skipped, saying so.
func TestSandboxLongCallInBackground(t *testing.T) {
	r, sb := newSandboxed(t, sandbox.Config{})
	inst := start(t, r, goSpec(behaveDir))
	cpuIdle(t, inst.pid) // skips without cpu.idle
	// during runs a call of action for 6 windows and returns cpu.idle
	// after 4, and the share of a CPU the process used meanwhile.
	during := func(action string) (string, float64) {
		done := make(chan error, 1)
		cpu0, t0 := inst.box.CPUTime(), time.Now()
		go func() {
			req := newRequest(fmt.Sprintf(`{"action":%q,"n":%d}`, action, 6*backgroundAfter/time.Millisecond), 5*time.Second)
			_, err := inst.Invoke(context.Background(), req)
			done <- err
		}()
		time.Sleep(4 * backgroundAfter)
		v := cpuIdle(t, inst.pid)
		share := float64(inst.box.CPUTime()-cpu0) / float64(time.Since(t0))
		must(t, <-done)
		if after := cpuIdle(t, inst.pid); after != "0" {
			t.Errorf("cpu.idle %q after the %s call, want 0", after, action)
		}
		return v, share
	}
	if v, _ := during("sleep"); v != "0" {
		t.Errorf("cpu.idle %q during a sleeping call, want 0", v)
	}
	// Spinning itself, or through a child process.
	for _, action := range []string{"spin", "spinchild"} {
		for attempt := 1; ; attempt++ {
			v, share := during(action)
			if share >= 0.6 {
				if v != "1" {
					t.Errorf("cpu.idle %q during a %s call that used %.0f%% of a CPU, want 1", v, action, 100*share)
				}
				break
			}
			t.Logf("attempt %d: the %s call got only %.0f%% of a CPU", attempt, action, 100*share)
			if attempt == 3 {
				t.Skipf("the host is too busy: the %s call never got half a CPU", action)
			}
		}
	}
	closeInst(t, sb, inst)
}
