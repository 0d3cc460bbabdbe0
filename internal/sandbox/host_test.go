package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// layoutEnv names the cgroup layout TestDetectHostInLayout builds.
const layoutEnv = "UPDRAFT_TEST_CGROUP_LAYOUT"

// TestDetectHost runs host detection on a pure cgroup v2 host and on a
// hybrid one. detectHost reads the real /sys/fs/cgroup, /proc/self/cgroup
// and /proc/self/mountinfo (and containerd's cgroups.Mode caches its
// answer per process), so each layout is built in a child process with a
// mount namespace of its own, where the real cgroup file systems are
// mounted in that layout and /proc/self/cgroup is replaced by a file
// bound over it.
func TestDetectHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building a cgroup layout needs root (mounts in a mount namespace of its own); running as uid", os.Geteuid())
	}
	for _, tc := range []struct {
		layout, mode string
		v2           bool
		controllers  map[string]string // controller → dir
	}{
		// The controllers are wherever cgroup.controllers says, in the
		// platform's own cgroup.
		{"v2", "v2", true, map[string]string{"memory": "/sys/fs/cgroup", "cpu": "/sys/fs/cgroup", "pids": "/sys/fs/cgroup"}},
		// The controllers are found through mountinfo, wherever they are
		// mounted; the unified hierarchy beside them has none.
		{"hybrid", "hybrid", false, map[string]string{"memory": "/sys/fs/cgroup/m", "cpu": "/sys/fs/cgroup/c", "pids": "/sys/fs/cgroup/p"}},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDetectHostInLayout$", "-test.v")
			cmd.Env = append(os.Environ(), layoutEnv+"="+tc.layout)
			// A private mount namespace: Go makes its mounts private too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
			out, err := cmd.CombinedOutput()
			var h Host
			found := false
			for s := bufio.NewScanner(bytes.NewReader(out)); s.Scan(); {
				if why, ok := strings.CutPrefix(s.Text(), "layout unavailable: "); ok {
					t.Skip(why)
				}
				if js, ok := strings.CutPrefix(s.Text(), "host: "); ok {
					found = json.Unmarshal([]byte(js), &h) == nil
				}
			}
			if err != nil || !found {
				t.Fatalf("detection in the %s layout: %v\n%s", tc.layout, err, out)
			}
			t.Logf("%+v", h)
			if !h.Root || h.CgroupMode != tc.mode || h.V2 != tc.v2 || !h.Namespaces {
				t.Errorf("detected %+v, want root, mode %s, V2 %v, namespaces", h, tc.mode, tc.v2)
			}
			if !maps.Equal(h.Controllers, tc.controllers) {
				t.Errorf("controllers %v, want %v", h.Controllers, tc.controllers)
			}
			if tc.v2 && !h.Memsw {
				t.Error("v2 limits swap (memory.swap.max), but Memsw is false")
			}
		})
	}
}

// TestDetectHostInLayout is TestDetectHost's child: in its own mount
// namespace it builds the layout named by layoutEnv and prints what
// detectHost finds.
func TestDetectHostInLayout(t *testing.T) {
	layout := os.Getenv(layoutEnv)
	if layout == "" {
		t.Skip("run by TestDetectHost, in a mount namespace of its own")
	}
	if err := buildLayout(layout, t.TempDir()); err != nil {
		fmt.Println("layout unavailable:", err)
		return
	}
	b, err := json.Marshal(detectHost())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("host: %s\n", b)
}

// buildLayout mounts the real cgroup file systems in the layout of a pure
// v2 or a hybrid host over /sys/fs/cgroup, and binds a file with the
// matching lines over /proc/self/cgroup. It must run in a mount namespace
// of its own. tmp holds the files bound over others.
func buildLayout(layout, tmp string) error {
	// Detach whatever this host has, then start afresh.
	unix.Unmount("/sys/fs/cgroup", unix.MNT_DETACH)
	var cgroupFile string
	switch layout {
	case "v2":
		if err := unix.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
			return fmt.Errorf("mount cgroup2: %w", err)
		}
		// On a hybrid host the v1 hierarchies hold the controllers: the
		// root's cgroup.controllers says what a pure v2 host would.
		fake := filepath.Join(tmp, "cgroup.controllers")
		if err := os.WriteFile(fake, []byte("cpuset cpu io memory hugetlb pids rdma misc\n"), 0o644); err != nil {
			return err
		}
		if err := unix.Mount(fake, "/sys/fs/cgroup/cgroup.controllers", "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind cgroup.controllers: %w", err)
		}
		cgroupFile = "0::/\n"
	case "hybrid":
		if err := unix.Mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755"); err != nil {
			return fmt.Errorf("mount tmpfs: %w", err)
		}
		// v1 hierarchies at places of their own, so that only mountinfo
		// can tell where they are.
		for _, m := range []struct{ dir, fstype, opts string }{
			{"m", "cgroup", "memory"}, {"c", "cgroup", "cpu"}, {"p", "cgroup", "pids"},
			{"unified", "cgroup2", ""},
		} {
			dir := filepath.Join("/sys/fs/cgroup", m.dir)
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			if err := unix.Mount("cgroup", dir, m.fstype, 0, m.opts); err != nil {
				return fmt.Errorf("mount %s %s: %w", m.fstype, m.opts, err) // e.g. the controller is on v2 here
			}
		}
		cgroupFile = "12:pids:/\n6:freezer:/\n4:memory:/\n3:cpu:/\n2:cpuacct:/\n1:name=systemd:/init.scope\n0::/init.scope\n"
	default:
		return fmt.Errorf("unknown layout %q", layout)
	}
	fake := filepath.Join(tmp, "cgroup")
	if err := os.WriteFile(fake, []byte(cgroupFile), 0o644); err != nil {
		return err
	}
	if err := unix.Mount(fake, "/proc/"+strconv.Itoa(os.Getpid())+"/cgroup", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind /proc/self/cgroup: %w", err)
	}
	return nil
}
