package sandbox

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// rootStage is where the building thread lays out the template before it
// pivots into it: any dir of the host root serves, in the thread's private
// mount namespace.
const rootStage = "/tmp"

// usersDir holds the users tmpfs in the template: the mount point of
// /proc, which every instance's own /proc covers once its passwd and group
// are bound (bindUser).
const usersDir = "/proc"

// build makes the template: on a throwaway thread, a private mount
// namespace whose root becomes a read-only tmpfs with the host dirs bound
// read-only (the hidden dirs inside them covered), the /etc files, /dev
// basics and mount points for the rest; the namespace outlives the thread
// through p.ns. It costs an RCU grace period or two, once.
func (p *rootPlan) build(hide []string) error {
	err := onThrowawayThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make mounts private: %w", err)
		}
		// Clones of the host dirs, taken before the stage covers rootStage.
		var binds []bind
		defer func() {
			for _, b := range binds {
				unix.Close(b.fd)
			}
		}()
		for _, d := range p.binds {
			fd, err := readOnlyClone(d, true)
			if err != nil {
				return err
			}
			binds = append(binds, bind{fd, d})
		}
		if err := unix.Mount("tmpfs", rootStage, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "size=1m,nr_inodes=4096,mode=755"); err != nil {
			return fmt.Errorf("tmpfs: %w", err)
		}
		if err := p.layout(); err != nil {
			return err
		}
		for _, b := range binds {
			if err := unix.MoveMount(b.fd, "", unix.AT_FDCWD, rootStage+b.target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
				return fmt.Errorf("bind %s: %w", b.target, err)
			}
		}
		const nox = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
		// A hidden dir inside a bound one (a data dir under /usr/local).
		for _, d := range p.hidden(hide) {
			if err := unix.Mount("tmpfs", rootStage+d, "tmpfs", nox, "size=1m,mode=755"); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("hide %s: %w", d, err)
			}
		}
		if err := unix.Mount("tmpfs", rootStage+usersDir, "tmpfs", nox, "size=64m,nr_inodes=262144,mode=700"); err != nil {
			return fmt.Errorf("users tmpfs: %w", err)
		}
		// The platform writes /etc files, mount points and passwds through
		// writable mounts of the same tmpfs, detached; instances get the
		// read-only ones (and so do their binds of passwd and group).
		var err error
		if p.users, err = unix.OpenTree(unix.AT_FDCWD, rootStage+usersDir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC); err != nil {
			return fmt.Errorf("writable clone: %w", err)
		}
		if p.rw, err = unix.OpenTree(unix.AT_FDCWD, rootStage, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC); err != nil {
			return fmt.Errorf("writable clone: %w", err)
		}
		ro := unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY
		if err := unix.Mount("", rootStage+usersDir, "", uintptr(ro|nox), ""); err != nil {
			return fmt.Errorf("read-only users tmpfs: %w", err)
		}
		// Not nodev: /dev's nodes live on it.
		if err := unix.Mount("", rootStage, "", uintptr(ro|unix.MS_NOSUID|unix.MS_NOEXEC), ""); err != nil {
			return fmt.Errorf("read-only: %w", err)
		}
		if p.ns, err = unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("namespace: %w", err)
		}
		// The stage becomes the namespace's root; the host's root, stacked
		// on it by pivot_root(".", "."), is detached.
		if err := unix.Chdir(rootStage); err != nil {
			return err
		}
		if err := unix.PivotRoot(".", "."); err != nil {
			return fmt.Errorf("pivot_root: %w", err)
		}
		if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
			return fmt.Errorf("detach the host's root: %w", err)
		}
		return unix.Chdir("/")
	})
	if err == nil {
		err = p.refreshEtc()
	}
	if err != nil {
		p.close()
		return fmt.Errorf("minimal root: %w", err)
	}
	return nil
}

// layout makes the template's dirs, symlinks, placeholders and /dev.
func (p *rootPlan) layout() error {
	// The umask belongs to the thread alone since its unshare.
	old := unix.Umask(0)
	defer unix.Umask(old)
	r := rootStage + "/"
	var errs []error
	for _, d := range []string{"etc", "dev", "dev/shm", "proc", "tmp", "var", "var/task", "var/runtime"} {
		errs = append(errs, os.Mkdir(r+d, 0o755))
	}
	for name, t := range p.links {
		errs = append(errs, os.Symlink(t, r+name))
	}
	for _, d := range p.binds {
		errs = append(errs, os.MkdirAll(rootStage+d, 0o755))
	}
	for _, name := range []string{"passwd", "group"} { // bindUser's mount points
		errs = append(errs, os.WriteFile(r+"etc/"+name, nil, 0o644))
	}
	errs = append(errs, os.WriteFile(r+"etc/hostname", []byte("updraft\n"), 0o644))
	for _, n := range devNodes {
		errs = append(errs, unix.Mknod(r+"dev/"+n.name, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))))
	}
	for name, t := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		errs = append(errs, os.Symlink(t, r+"dev/"+name))
	}
	return errors.Join(errs...)
}

// enter moves the spawning thread into a fresh copy of the template's
// mount namespace (and new UTS and IPC namespaces); its root and working
// dir become the minimal root.
func (p *rootPlan) enter() error {
	// setns into a mount namespace needs a thread that shares its root
	// and working dir with no other.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("sandbox: unshare fs: %w", err)
	}
	if err := unix.Setns(p.ns, unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("sandbox: join the minimal root: %w", err)
	}
	if err := unix.Unshare(nsFlags); err != nil {
		return fmt.Errorf("sandbox: unshare namespaces: %w", err)
	}
	return nil
}

// close releases the template.
func (p *rootPlan) close() {
	for _, fd := range []*int{&p.ns, &p.rw, &p.users} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// probeRoot builds the instances' minimal root and starts into it once on
// a throwaway thread, as Start will: New falls back to the host's root,
// with a warning, where that fails (no pivot_root on an initramfs root,
// say).
func (s *Sandbox) probeRoot() error {
	if !s.remap {
		return errors.New("no mount points for /var/task and /var/runtime")
	}
	p, err := newRootPlan()
	if err != nil {
		return err
	}
	if err := p.build(s.cfg.HideDirs); err != nil {
		return err
	}
	s.root = p
	uid := uint32(s.cfg.UIDBase)
	if err := p.addUser(uid); err != nil {
		return err
	}
	defer p.removeUser(uid)
	return onThrowawayThread(func() error {
		_, err := s.setupNamespaces(view{tmpMB: 1, uid: uid})
		return err
	})
}
