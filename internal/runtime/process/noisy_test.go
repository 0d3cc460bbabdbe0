package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/sandbox"
	"golang.org/x/sys/unix"
)

// S7 and the background step behind it: a function that keeps a CPU busy
// must not stretch the latency of another's short calls.

// TestSandboxS7NoisyNeighbour: a function spinning on every CPU is held
// to its quota (one vCPU at 128 MB), and a quiet function's warm p99 beside
// it stays within 2× its idle p99 plus a slack of 1 ms. The spinning call
// is in the background (Box.Background) once it kept a CPU busy over a
// 50 ms window (in the first noisy round; the median ignores that round),
// so the quiet function's wakeups preempt it; without that, on these 2-core
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
