package sandbox

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// nsFlags are the namespaces the spawning thread unshares. The PID
// namespace is a clone flag of the child instead: after unshare(NEWPID) any
// fork on the thread (os/exec forks a probe child once per process) would
// become the namespace's init and, exiting, leave it unusable.
const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC

// setupNamespaces runs on the locked spawning thread: it unshares the
// namespaces and builds the instance's mount view. binds are absolute
// paths of directories shown read-only at their own path; stem, if not
// empty, is a stem instance's task root (see stem.go).
func (s *Sandbox) setupNamespaces(tmpMB int, binds []string, stem string) error {
	if err := unix.Unshare(nsFlags); err != nil {
		return fmt.Errorf("sandbox: unshare namespaces: %w", err)
	}
	stemFD := -1
	if stem != "" {
		var err error
		if stemFD, err = cloneStem(stem); err != nil {
			return err
		}
		defer unix.Close(stemFD)
	}
	if err := unix.Sethostname([]byte("updraft")); err != nil {
		return fmt.Errorf("sandbox: hostname: %w", err)
	}
	// Nothing done here may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("sandbox: make mounts private: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID, ""); err != nil {
		return fmt.Errorf("sandbox: read-only root: %w", err)
	}
	// Detached read-only copies of the binds, taken before anything covers
	// them and attached again at the end.
	trees := make([]int, 0, len(binds))
	defer func() {
		for _, fd := range trees {
			unix.Close(fd)
		}
	}()
	ro := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	for _, path := range binds {
		fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fmt.Errorf("sandbox: bind %s: %w", path, err)
		}
		trees = append(trees, fd)
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, ro); err != nil {
			return fmt.Errorf("sandbox: read-only %s: %w", path, err)
		}
	}
	const nox = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	for _, d := range s.cfg.HideDirs {
		if err := unix.Mount("tmpfs", d, "tmpfs", nox, "size=1m,mode=755"); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("sandbox: hide %s: %w", d, err)
		}
	}
	size := "size=" + strconv.Itoa(tmpMB) + "m,mode=1777"
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, size); err != nil {
		return fmt.Errorf("sandbox: /tmp: %w", err)
	}
	if err := unix.Mount("tmpfs", "/dev/shm", "tmpfs", nox, size); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("sandbox: /dev/shm: %w", err)
	}
	for i, path := range binds {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return fmt.Errorf("sandbox: mount point %s: %w", path, err)
		}
		if err := unix.MoveMount(trees[i], "", unix.AT_FDCWD, path, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("sandbox: bind %s: %w", path, err)
		}
	}
	if stemFD >= 0 {
		if err := attachStem(stemFD, stem); err != nil {
			return err
		}
	}
	// A /proc of its own: only the instance's own processes are visible
	// (each instance has its own uid), not the platform's or a neighbour's.
	if err := unix.Mount("proc", "/proc", "proc", nox, "hidepid=invisible"); err != nil {
		return fmt.Errorf("sandbox: /proc: %w", err)
	}
	return nil
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
