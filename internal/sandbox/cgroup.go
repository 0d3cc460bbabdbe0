package sandbox

// Cgroup files are written directly rather than through
// containerd/cgroups' managers (used for mode detection in host.go): an
// instance needs three controllers and a handful of files, and the
// library's v1 manager walks every mounted hierarchy on each New and Delete,
// which would cost more than the rest of the sandbox on every cold start.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cgroup is one instance's cgroup: a directory per v1 controller, or one
// directory on v2.
type cgroup struct {
	v2     bool
	dirs   map[string]string // controller → dir (v2: all the same dir)
	fd     int               // v2: the dir, for UseCgroupFD; else -1
	mem    int               // the memory limit set last, MB; 0: none yet
	shares int               // the CPU weight set last, in cpu.shares units
}

// cpuPeriod is the CFS period of the CPU quota, in µs.
const cpuPeriod = 100000

// newCgroup creates a cgroup for one instance under the parent dirs;
// limit sets its limits once the instance is known.
func (s *Sandbox) newCgroup(name string) (*cgroup, error) {
	cg := &cgroup{v2: s.host.V2, dirs: map[string]string{}, fd: -1}
	for c, parent := range s.parents {
		dir := filepath.Join(parent, name)
		if cg.v2 && len(cg.dirs) > 0 {
			cg.dirs[c] = dir
			continue
		}
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			cg.remove()
			return nil, fmt.Errorf("sandbox: create cgroup: %w", err)
		}
		cg.dirs[c] = dir
	}
	if cg.v2 {
		for _, d := range cg.dirs {
			fd, err := unix.Open(d, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				cg.remove()
				return nil, fmt.Errorf("sandbox: open cgroup: %w", err)
			}
			cg.fd = fd
			break
		}
	}
	return cg, nil
}

// limit writes the memory, CPU and pids limits.
func (cg *cgroup) limit(memMB, pids int, memsw bool) error {
	mem := strconv.FormatInt(int64(memMB)<<20, 10)
	// Weight in proportion to memory, with the smallest function (128 MB)
	// at the default 1024 — the platform's own weight — so that a small
	// function's wake-ups are not deprioritised behind the platform that
	// is waiting for its answer (that cost ~40 µs a warm call).
	shares := min(262144, max(2, 1024*memMB/128))
	quota := strconv.Itoa(vcpus(memMB) * cpuPeriod)
	cg.shares = shares
	var files [][2]string // controller/file, value
	if cg.v2 {
		files = [][2]string{
			{"memory/memory.max", mem},
			{"memory/memory.swap.max", "0"},
			{"cpu/cpu.weight", weightV2(shares)},
			{"cpu/cpu.max", quota + " " + strconv.Itoa(cpuPeriod)},
			{"pids/pids.max", strconv.Itoa(pids)},
		}
	} else {
		files = [][2]string{
			{"memory/memory.limit_in_bytes", mem},
			{"cpu/cpu.shares", strconv.Itoa(shares)},
			{"cpu/cpu.cfs_period_us", strconv.Itoa(cpuPeriod)},
			{"cpu/cpu.cfs_quota_us", quota},
			{"pids/pids.max", strconv.Itoa(pids)},
		}
		if memsw {
			// v1 keeps memsw >= limit at every step: raise memsw first,
			// lower it last.
			sw := [2]string{"memory/memory.memsw.limit_in_bytes", mem}
			if cg.mem > 0 && memMB > cg.mem {
				files = append([][2]string{sw}, files...)
			} else {
				files = append(files, sw)
			}
		}
	}
	for _, f := range files {
		c, file, _ := strings.Cut(f[0], "/")
		dir, ok := cg.dirs[c]
		if !ok {
			continue
		}
		if cg.v2 && c == "memory" && file == "memory.swap.max" && !memsw {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(f[1]), 0); err != nil {
			return fmt.Errorf("sandbox: cgroup limit %s=%s: %w", file, f[1], err)
		}
	}
	cg.mem = memMB
	return nil
}

// backgroundShares is the CPU weight of an instance in the background
// where the kernel lacks cpu.idle (before 5.15): a 32nd of the smallest
// function's.
const backgroundShares = 32

// weightV2 converts cpu.shares units to cpu.weight.
func weightV2(shares int) string { return strconv.Itoa(max(1, min(10000, shares*100/1024))) }

// background puts the instance's CPU group in the background (cpu.idle:
// the kernel runs it only when nothing else wants the CPU, and preempts it
// at once for anything that does), or back to its own weight.
func (cg *cgroup) background(on bool) error {
	dir, ok := cg.dirs["cpu"]
	if !ok {
		return nil
	}
	val := "0"
	if on {
		val = "1"
	}
	err := os.WriteFile(filepath.Join(dir, "cpu.idle"), []byte(val), 0)
	if !errors.Is(err, os.ErrNotExist) {
		if err != nil {
			return fmt.Errorf("sandbox: cgroup cpu.idle=%s: %w", val, err)
		}
		return nil
	}
	shares := cg.shares
	if on {
		shares = backgroundShares
	}
	file, v := "cpu.shares", strconv.Itoa(shares)
	if cg.v2 {
		file, v = "cpu.weight", weightV2(shares)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
		return fmt.Errorf("sandbox: cgroup %s=%s: %w", file, v, err)
	}
	return nil
}

// joinThread moves the calling OS thread into the cgroup (v1), so that
// the child it forks is born there.
func (cg *cgroup) joinThread() error {
	if cg.v2 {
		return nil
	}
	tid := []byte(strconv.Itoa(unix.Gettid()))
	for _, dir := range cg.dirs {
		if err := os.WriteFile(filepath.Join(dir, "tasks"), tid, 0); err != nil {
			return fmt.Errorf("sandbox: join cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// pidsDir is a directory that lists every task of the instance.
func (cg *cgroup) pidsDir() string {
	for _, c := range []string{"pids", "memory", "cpu"} {
		if d, ok := cg.dirs[c]; ok {
			return d
		}
	}
	return ""
}

// kill SIGKILLs every process in the cgroup (cgroup.kill on v2).
func (cg *cgroup) kill() {
	d := cg.pidsDir()
	if d == "" {
		return
	}
	if cg.v2 && os.WriteFile(filepath.Join(d, "cgroup.kill"), []byte("1"), 0) == nil {
		return
	}
	for range 3 { // a fork racing the first sweep is caught by the next
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			return
		}
		for _, f := range bytes.Fields(b) {
			// The platform's own pid shows up while a spawning thread
			// has not finished exiting: never kill it.
			if pid, err := strconv.Atoi(string(f)); err == nil && pid != os.Getpid() {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
	}
}

// remove kills what is left and removes the cgroup, retrying while the
// kernel finishes tearing down its exited tasks.
func (cg *cgroup) remove() error {
	if cg.fd >= 0 {
		unix.Close(cg.fd)
		cg.fd = -1
	}
	var errs []error
	seen := map[string]bool{}
	for _, dir := range cg.dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		var err error
		for i := range 400 { // up to ≈ 2 s: many killed tasks take a while
			if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
				err = nil
				break
			}
			if i%20 == 0 {
				cg.kill()
			}
			time.Sleep(time.Duration(min(i+1, 10)) * time.Millisecond / 2)
		}
		if err != nil {
			tasks, _ := os.ReadFile(filepath.Join(dir, "tasks"))
			errs = append(errs, fmt.Errorf("sandbox: remove cgroup %s (tasks %q): %w", dir, bytes.Fields(tasks), err))
		}
	}
	return errors.Join(errs...)
}

// oomKills is the number of processes the kernel killed for lack of memory
// in the cgroup.
func (cg *cgroup) oomKills() int64 {
	d, ok := cg.dirs["memory"]
	if !ok {
		return 0
	}
	file, key := "memory.oom_control", "oom_kill "
	if cg.v2 {
		file = "memory.events"
	}
	b, _ := os.ReadFile(filepath.Join(d, file))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// peakBytes is the cgroup's peak memory use, 0 if unknown.
func (cg *cgroup) peakBytes() int64 {
	d, ok := cg.dirs["memory"]
	if !ok {
		return 0
	}
	file := "memory.max_usage_in_bytes"
	if cg.v2 {
		file = "memory.peak"
	}
	b, err := os.ReadFile(filepath.Join(d, file))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// mbPerVCPU is the memory size at which Lambda gives a function one vCPU.
const mbPerVCPU = 1769

// vcpus is the CPU quota of a function of memMB: one per started 1769 MB.
func vcpus(memMB int) int { return max(1, (memMB+mbPerVCPU-1)/mbPerVCPU) }
