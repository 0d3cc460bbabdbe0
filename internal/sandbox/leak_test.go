package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTeardownNoLeaks10k starts and stops 10,000 instances the way the
// process runtime does (start, SIGKILL the process group and the cgroup,
// reap, Close), several at once, and then finds no cgroup, process, zombie,
// mount, file descriptor, thread or loop device left behind. The instances
// vary: one exits by itself, one is killed, one leaves a child behind, some
// have no network, half get a /tmp from the pool (and give it back for
// reuse), half one made on the spot; the rest get a network namespace of
// their own from the pool (torn down after), whose veths must be gone
// too. -short runs 1,000.
func TestTeardownNoLeaks10k(t *testing.T) {
	const parallel = 8
	cycles := 10000 // ≈ 25–45 s under -race on 2 cores
	if testing.Short() {
		cycles = 1000
	}
	// A uid range of this test's own, so that instances of other
	// platforms on the host are not taken for orphans.
	uidBase := 500000 + os.Getpid()%1000*1000
	s, err := New(Config{HideDirs: []string{t.TempDir()}, ScratchDir: t.TempDir(), UIDBase: uidBase, UIDCount: 1000, WarmSlots: parallel})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enforced() {
		s.Close()
		t.Skip(s.Report())
	}
	defer func() {
		if s != nil {
			s.Close()
		}
	}()
	code := t.TempDir()
	run := func(i int) error { return cycle(s, i, code) }

	// Warm up first: the Go runtime opens its netpoller and starts the
	// threads it keeps once, and the slot pool fills.
	for i := range 2 * parallel {
		must(t, run(i))
	}
	time.Sleep(100 * time.Millisecond)
	settle(s)
	// Each ready /tmp is an open mount: their number varies with reuse.
	fds0, mounts0, threads0 := countFDs(t)-pooledFDs(s), mounts(t), countThreads(t)

	t0 := time.Now()
	var next atomic.Int64 // the next cycle
	var wg sync.WaitGroup
	errc := make(chan error, parallel)
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= cycles {
					return
				}
				if err := run(i); err != nil {
					errc <- fmt.Errorf("cycle %d: %w", i, err)
					next.Store(int64(cycles)) // stop the others too
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	elapsed := time.Since(t0)

	if n := s.Live(); n != 0 {
		t.Errorf("Live: %d instance cgroups after every instance was closed", n)
	}
	children, strays := waitNoProcesses(t, uidBase, 1000)
	settle(s)
	loops := scratchLoops(s)
	fds, mounts1, threads := countFDs(t)-pooledFDs(s), mounts(t), countThreads(t)
	if n := len(loops); n > len(s.scratch.ready) {
		t.Errorf("%d loop devices over the scratch dir, more than the %d ready ones", n, len(s.scratch.ready))
	}
	var vethPrefix string
	if s.net != nil {
		// The kernel removes let-go namespaces and their veths in its
		// own time.
		vethPrefix = s.net.h.linkPrefix()
		n, ready := len(veths(vethPrefix)), len(s.net.ready)
		for deadline := time.Now().Add(5 * time.Second); n != ready && time.Now().Before(deadline); n = len(veths(vethPrefix)) {
			time.Sleep(50 * time.Millisecond)
		}
		if n != ready {
			t.Errorf("%d instance veths on the host, %d ready namespaces", n, ready)
		}
	}
	parents := s.parents
	closeErr := s.Close()
	loops = scratchLoops(s)
	s = nil
	t.Logf("%d cycles in %v (%.0f/s); fds %d → %d, mountinfo lines %d → %d, threads %d → %d",
		cycles, elapsed.Round(time.Millisecond), float64(cycles)/elapsed.Seconds(), fds0, fds, len(mounts0), len(mounts1), threads0, threads)
	if closeErr != nil {
		t.Errorf("Close: %v", closeErr)
	}
	for c, dir := range parents {
		if ents, err := os.ReadDir(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s cgroup %s left after Close (%d entries)", c, dir, len(ents))
		}
	}
	if len(loops) > 0 {
		t.Errorf("loop devices over the scratch dir left after Close: %v", loops)
	}
	if left := veths(vethPrefix); vethPrefix != "" && len(left) > 0 {
		t.Errorf("instance veths left after Close: %v", left)
	}
	if len(children) > 0 {
		t.Errorf("children of the test process left (pid state): %v", children)
	}
	if len(strays) > 0 {
		t.Errorf("processes of the instances' uids left: %v", strays)
	}
	if fds != fds0 {
		t.Errorf("open files: %d before, %d after", fds0, fds)
	}
	// The mount table is the host's: other processes may change it too.
	// A mount the sandbox leaks adds a line.
	if added, removed := diff(mounts0, mounts1), diff(mounts1, mounts0); len(added) > 0 {
		t.Errorf("mounts added: %q (and removed: %q)", added, removed)
	} else if len(removed) > 0 {
		t.Logf("mounts removed meanwhile, not by the sandbox: %q", removed)
	}
	// The Go runtime keeps the threads it made for blocked syscalls (one
	// per cycle in progress); a leak would be one per cycle.
	if threads > threads0+2*parallel {
		t.Errorf("threads: %d before, %d after", threads0, threads)
	}
}

// cycle starts one instance, stops it like the process runtime does and
// closes its box. code is a directory bound read-only into it.
func cycle(s *Sandbox, i int, code string) error {
	spec := Spec{MemoryMB: 128, TmpMB: i % 2, Code: code, NoNetwork: i%4 == 3} // /tmp: the pooled default size, or 1 MB made on the spot
	var cmd *exec.Cmd
	switch i % 3 {
	case 0: // exits by itself
		cmd = exec.Command("/bin/true")
	case 1: // killed
		cmd = exec.Command("/bin/sleep", "1000")
	default: // killed, with a child of its own
		cmd = exec.Command("/bin/sh", "-c", "/bin/sleep 1000 & exec /bin/sleep 1000")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b, err := s.Start(cmd, spec)
	if err != nil {
		return err
	}
	if b.Listener != nil {
		b.Listener.Close()
	}
	if i%3 == 2 {
		awaitChild(b.Pid())
	}
	if i%3 != 0 {
		// The runtime kills the group while the leader is unreaped, then
		// everything in the cgroup.
		unix.Kill(-b.Pid(), unix.SIGKILL)
		b.Kill()
	}
	werr := cmd.Wait()
	if err := b.Close(); err != nil {
		return err
	}
	if i%3 == 0 && werr != nil {
		return fmt.Errorf("/bin/true in the sandbox: %w", werr)
	}
	return nil
}

// awaitChild waits up to 1 s for pid to have a child.
func awaitChild(pid int) {
	f := fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		if b, err := os.ReadFile(f); err != nil || len(bytes.TrimSpace(b)) > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// waitNoProcesses waits up to 2 s for the test process to have no child
// left and for no process of the uid range to exist, and returns what is
// still there.
func waitNoProcesses(t *testing.T, uidBase, uidCount int) (children, strays []string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		children, strays = nil, nil
		ents, err := os.ReadDir("/proc")
		must(t, err)
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			st, err := os.ReadFile("/proc/" + e.Name() + "/status")
			if err != nil {
				continue // gone meanwhile
			}
			ppid, _ := strconv.Atoi(statusField(st, "PPid"))
			uid, _ := strconv.Atoi(strings.Fields(statusField(st, "Uid") + " -1")[0])
			state := statusField(st, "State")
			if ppid == os.Getpid() {
				children = append(children, fmt.Sprintf("%d %s", pid, state))
			}
			if uid >= uidBase && uid < uidBase+uidCount {
				strays = append(strays, fmt.Sprintf("%d uid %d %s", pid, uid, state))
			}
		}
		if len(children)+len(strays) == 0 || time.Now().After(deadline) {
			return children, strays
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// statusField is the value of a "Key:\tvalue" line of /proc/pid/status.
func statusField(status []byte, key string) string {
	for _, l := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte(key+":")); ok {
			return strings.TrimSpace(string(v))
		}
	}
	return ""
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	must(t, err)
	return len(ents) - 1 // the directory being read
}

// mounts lists the lines of /proc/self/mountinfo without the mount ids,
// leaving out other platforms' stem dirs (test servers running meanwhile
// bind them; this test's sandbox has none).
func mounts(t *testing.T) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	must(t, err)
	var ms []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.SplitN(l, " ", 3); len(f) == 3 && !stemMount(l) {
			ms = append(ms, f[2])
		}
	}
	return ms
}

// diff lists the lines of b that a lacks, as many times as it lacks them.
func diff(a, b []string) []string {
	n := map[string]int{}
	for _, l := range a {
		n[l]++
	}
	var out []string
	for _, l := range b {
		if n[l]--; n[l] < 0 {
			out = append(out, l)
		}
	}
	return out
}

func countThreads(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	must(t, err)
	n, err := strconv.Atoi(statusField(b, "Threads"))
	must(t, err)
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stemMount reports whether a mountinfo line mounts a platform's stem dir
// or something under it (a path element "stems").
func stemMount(line string) bool {
	f := strings.Fields(line)
	return len(f) > 4 && slices.Contains(strings.Split(f[4], "/"), "stems")
}

// pooledFDs counts the descriptors s's pools hold ready: a mount per
// /tmp; a namespace and two listeners per network.
func pooledFDs(s *Sandbox) int {
	n := len(s.scratch.ready)
	if s.net != nil {
		n += 3 * len(s.net.ready)
	}
	return n
}

// veths lists the host's links named prefix….
func veths(prefix string) []string {
	var out []string
	ents, _ := os.ReadDir("/sys/class/net")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// settle waits until the sandbox's /tmp pool is idle: as many ready as it
// makes ahead, nothing left to reuse (twice in a row, 20 ms apart: the
// keeper may be between the two), no release in progress.
func settle(s *Sandbox) {
	p := s.scratch
	if p == nil {
		return
	}
	idle := func() bool {
		return len(p.ready) >= p.warm && len(p.used) == 0 && (s.net == nil || len(s.net.ready) >= s.net.warm && len(s.net.used) == 0)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if idle() {
			time.Sleep(20 * time.Millisecond)
			if idle() {
				break
			}
		}
	}
	p.rel.Wait()
}

// scratchLoops lists the loop devices backed by a file in s's scratch dir.
func scratchLoops(s *Sandbox) []string {
	var out []string
	ents, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, bf := range ents {
		if b, err := os.ReadFile(bf); err == nil && filepath.Dir(strings.TrimSpace(string(b))) == s.scratch.dir {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	return out
}
