package sandbox

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// nsFlags are the namespaces the spawning thread unshares. The PID
// namespace is a clone flag of the child instead: after unshare(NEWPID) any
// fork on the thread (os/exec forks a probe child once per process) would
// become the namespace's init and, exiting, leave it unusable.
const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC

// Where an instance with a mount namespace sees its code and its runtime
// client, as on Lambda.
const (
	TaskRoot    = "/var/task"
	RuntimeRoot = "/var/runtime"
)

// view is what setupNamespaces shows an instance.
type view struct {
	tmpMB   int
	scratch *scratch // its /tmp; nil: a tmpfs of tmpMB
	code    string   // shown at TaskRoot; "" for none
	runtime string   // shown at RuntimeRoot; "" for none
	stem    string   // a stem's task root on the host side (see stem.go), shown at TaskRoot
	// With a minimal root (rootfs.go): the instance's uid (its passwd),
	// and a host dir its executable needs beyond /usr ("" for none).
	uid   uint32
	extra string
}

// setupNamespaces runs on the locked spawning thread: it unshares the
// namespaces and builds the instance's mount view: a copy of the minimal
// root's template (rootfs.go), or, where the host cannot build one, the
// host's root read-only with the hidden dirs covered. It returns an open
// directory on a scratch /tmp (for Box.Close), or -1.
func (s *Sandbox) setupNamespaces(v view) (int, error) {
	// Detached read-only copies of the code, the runtime and the extra
	// dir, taken in the platform's namespace and attached at the end;
	// the stem's is a peer of the platform's stem root (stem.go).
	var binds []bind
	defer func() {
		for _, b := range binds {
			unix.Close(b.fd)
		}
	}()
	stemFD := -1
	if v.stem != "" {
		var err error
		if stemFD, err = cloneStem(v.stem); err != nil {
			return -1, err
		}
		defer unix.Close(stemFD)
	}
	dirs := [][2]string{{v.code, s.taskRoot(v.code)}, {v.runtime, s.runtimeRoot(v.runtime)}, {v.extra, v.extra}}
	for _, d := range dirs {
		if d[0] == "" {
			continue
		}
		fd, err := readOnlyClone(d[0], true)
		if err != nil {
			return -1, fmt.Errorf("sandbox: bind: %w", err)
		}
		binds = append(binds, bind{fd, d[1]})
	}
	if s.root != nil {
		if err := s.root.enter(); err != nil {
			return -1, err
		}
	} else {
		if err := unix.Unshare(nsFlags); err != nil {
			return -1, fmt.Errorf("sandbox: unshare namespaces: %w", err)
		}
		// Nothing done here may propagate back to the host.
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return -1, fmt.Errorf("sandbox: make mounts private: %w", err)
		}
		if err := s.coverHost(); err != nil {
			return -1, err
		}
	}
	if err := unix.Sethostname([]byte("updraft")); err != nil {
		return -1, fmt.Errorf("sandbox: hostname: %w", err)
	}
	const nox = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	size := "size=" + strconv.Itoa(v.tmpMB) + "m,mode=1777"
	tmpRoot, err := mountTmp(v.scratch, "/tmp", size)
	if err != nil {
		return -1, err
	}
	ok := false
	defer func() {
		if !ok && tmpRoot >= 0 {
			unix.Close(tmpRoot)
		}
	}()
	if err := unix.Mount("tmpfs", "/dev/shm", "tmpfs", nox, size); err != nil && !os.IsNotExist(err) {
		return -1, fmt.Errorf("sandbox: /dev/shm: %w", err)
	}
	for _, b := range binds {
		if err := os.MkdirAll(b.target, 0o755); err != nil {
			return -1, fmt.Errorf("sandbox: mount point %s: %w", b.target, err)
		}
		if err := unix.MoveMount(b.fd, "", unix.AT_FDCWD, b.target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return -1, fmt.Errorf("sandbox: bind %s: %w", b.target, err)
		}
	}
	if stemFD >= 0 {
		if err := attachStem(stemFD, s.taskRoot(v.stem)); err != nil {
			return -1, err
		}
	}
	if s.root != nil {
		if err := bindUser(v.uid); err != nil {
			return -1, err
		}
	}
	// A /proc of its own: only the instance's own processes are visible
	// (each instance has its own uid), not the platform's or a neighbour's.
	if err := unix.Mount("proc", "/proc", "proc", nox, "hidepid=invisible"); err != nil {
		return -1, fmt.Errorf("sandbox: /proc: %w", err)
	}
	ok = true
	return tmpRoot, nil
}

// bind is a detached mount to attach at target.
type bind struct {
	fd     int
	target string
}

// coverHost makes the host's root read-only in the thread's namespace and
// covers the hidden dirs, /tmp and /dev/shm (the view without a minimal
// root).
func (s *Sandbox) coverHost() error {
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID, ""); err != nil {
		return fmt.Errorf("sandbox: read-only root: %w", err)
	}
	// Mounts beneath the dirs about to be covered would still be listed in
	// the instance's mountinfo (the stems' code mounts: other tenants'
	// function paths): detach them first.
	covered := append([]string{"/tmp", "/dev/shm"}, s.cfg.HideDirs...)
	if err := detachBeneath(covered); err != nil {
		return err
	}
	const nox = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	for _, d := range s.cfg.HideDirs {
		if err := unix.Mount("tmpfs", d, "tmpfs", nox, "size=1m,mode=755"); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("sandbox: hide %s: %w", d, err)
		}
	}
	return nil
}

// mountTmp puts sc on dir (the instance's /tmp) and returns an open
// directory on it, or mounts a tmpfs with opts there (sc nil) and returns
// -1.
func mountTmp(sc *scratch, dir, opts string) (int, error) {
	if sc == nil {
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			return -1, fmt.Errorf("sandbox: /tmp: %w", err)
		}
		return -1, nil
	}
	err := unix.MoveMount(sc.mnt, "", unix.AT_FDCWD, dir, unix.MOVE_MOUNT_F_EMPTY_PATH)
	sc.close() // attached, or to be discarded
	if err != nil {
		return -1, fmt.Errorf("sandbox: /tmp: %w", err)
	}
	root, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("sandbox: /tmp: %w", err)
	}
	return root, nil
}

// dropPrivileges runs on the spawning thread after the mounts: the child
// inherits no_new_privs and an empty bounding set; its setuid to an
// unprivileged uid then clears its remaining capabilities.
func dropPrivileges() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("sandbox: no_new_privs: %w", err)
	}
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("sandbox: drop capability %d: %w", c, err)
		}
	}
	return nil
}

// readOnlyClone clones the mount at path (with what is mounted beneath it
// when recursive) into a detached tree, read-only, nosuid and nodev, and
// returns its fd for move_mount.
func readOnlyClone(path string, recursive bool) (int, error) {
	var rec uint
	if recursive {
		rec = unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|rec)
	if err != nil {
		return -1, fmt.Errorf("clone %s: %w", path, err)
	}
	ro := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|rec, ro); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("make %s read-only: %w", path, err)
	}
	return fd, nil
}

// detachBeneath lazily unmounts, in the calling thread's mount namespace,
// every mount strictly beneath one of dirs (absolute, clean paths).
func detachBeneath(dirs []string) error {
	// The thread's own namespace: /proc/self is the whole process's.
	b, err := os.ReadFile("/proc/thread-self/mountinfo")
	if err != nil {
		return fmt.Errorf("sandbox: mountinfo: %w", err)
	}
	var under []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountinfo(f[4])
		for _, d := range dirs {
			if strings.HasPrefix(mp, d+"/") {
				under = append(under, mp)
				break
			}
		}
	}
	// Parents first: detaching one takes its children along, and their
	// own detach then fails harmlessly.
	sort.Strings(under)
	for _, mp := range under {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("sandbox: detach %s: %w", mp, err)
		}
	}
	return nil
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
