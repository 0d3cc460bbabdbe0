package sandbox

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"
)

// Host is what this machine offers the sandbox, detected once by New.
type Host struct {
	Root       bool   // running as uid 0
	CgroupMode string // "v1", "hybrid", "v2" or "none"
	// Controllers maps each controller the sandbox uses (memory, cpu, pids)
	// to the directory of the platform's own cgroup in it, where instance
	// cgroups are created. A missing key is a missing controller.
	Controllers map[string]string
	Memsw       bool // v1 memory.memsw.*: swap is limited too
	V2          bool // controllers are on the unified hierarchy
	Namespaces  bool // mount, PID, IPC and UTS namespaces can be created
	UserNS      bool // user namespaces are enabled (reported; not needed as root)
}

// controllers the sandbox uses.
var controllers = []string{"memory", "cpu", "pids"}

// detectHost probes the machine.
func detectHost() Host {
	h := Host{Root: os.Geteuid() == 0, Controllers: map[string]string{}}
	switch cgroups.Mode() {
	case cgroups.Legacy:
		h.CgroupMode = "v1"
	case cgroups.Hybrid:
		h.CgroupMode = "hybrid"
	case cgroups.Unified:
		h.CgroupMode = "v2"
	default:
		h.CgroupMode = "none"
	}
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil {
		h.UserNS = strings.TrimSpace(string(b)) != "0"
	}
	if !h.Root {
		return h
	}
	h.Namespaces = probeNamespaces()
	if h.CgroupMode == "v2" {
		detectV2(&h)
	} else if h.CgroupMode != "none" {
		detectV1(&h)
	}
	return h
}

// detectV1 finds the v1 hierarchies of the controllers and the platform's
// own cgroup in each (from /proc/self/cgroup and /proc/self/mountinfo).
func detectV1(h *Host) {
	own := map[string]string{} // controller → own cgroup path
	for _, l := range readLines("/proc/self/cgroup") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	for _, l := range readLines("/proc/self/mountinfo") {
		// id parent maj:min root mountpoint opts ... - fstype source superopts
		pre, post, ok := strings.Cut(l, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 || g[0] != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(g[2], ",") {
			p, ok := own[opt]
			if !ok || !isController(opt) || f[3] != "/" {
				continue
			}
			dir := filepath.Join(f[4], p)
			if _, err := os.Stat(filepath.Join(dir, "tasks")); err == nil {
				h.Controllers[opt] = dir
			}
		}
	}
	if d, ok := h.Controllers["memory"]; ok {
		_, err := os.Stat(filepath.Join(d, "memory.memsw.limit_in_bytes"))
		h.Memsw = err == nil
	}
}

// detectV2 finds the platform's own cgroup on the unified hierarchy and
// the controllers it may hand to children.
func detectV2(h *Host) {
	h.V2 = true
	var own string
	for _, l := range readLines("/proc/self/cgroup") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			own = p
		}
	}
	dir := filepath.Join("/sys/fs/cgroup", own)
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return
	}
	for _, c := range strings.Fields(string(b)) {
		if isController(c) {
			h.Controllers[c] = dir
		}
	}
	h.Memsw = true // memory.swap.max
}

func isController(c string) bool {
	for _, x := range controllers {
		if x == c {
			return true
		}
	}
	return false
}

// probeNamespaces unshares the namespaces on a throwaway thread.
func probeNamespaces() bool {
	return onThrowawayThread(func() error { return unix.Unshare(nsFlags | unix.CLONE_NEWPID) }) == nil
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}
