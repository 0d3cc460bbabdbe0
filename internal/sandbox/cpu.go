package sandbox

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPUTime is the CPU time the instance's processes have used, children
// included, or -1 when it cannot be read. On cgroup v2 it is the cgroup's
// own count (cpu.stat usage_usec); on v1, where the sandbox does not use
// the cpuacct controller, it sums /proc/<pid>/stat (in 10 ms steps) over the
// processes listed in the instance's cgroup, with the children each has
// reaped.
func (b *Box) CPUTime() time.Duration {
	if b.cg == nil {
		return procCPU(b.pid)
	}
	if b.cg.v2 {
		return cgroupV2CPU(b.cg.dirs["cpu"])
	}
	dir, ok := b.cg.dirs["pids"]
	if !ok {
		return procCPU(b.pid)
	}
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return -1
	}
	var total time.Duration
	for _, f := range strings.Fields(string(procs)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		if t := procCPU(pid); t > 0 { // gone meanwhile: its parent counts it once reaped
			total += t
		}
	}
	return total
}

// cgroupV2CPU reads usage_usec from a v2 cgroup's cpu.stat.
func cgroupV2CPU(dir string) time.Duration {
	f, err := os.Open(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "usage_usec "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return time.Duration(n) * time.Microsecond
		}
	}
	return -1
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ, 100 on
// every Linux architecture Go supports.
const userHZ = 100

// procCPU is the CPU time of pid's threads and of the children it reaped
// (utime, stime, cutime and cstime in /proc/<pid>/stat), or -1.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name may hold spaces and parentheses: fields count from
	// the last ')'. utime, stime, cutime and cstime are fields 14 to 17 of
	// the line, the 12th to 15th after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return -1
	}
	var ticks int64
	for _, x := range f[11:15] {
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return -1
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}
