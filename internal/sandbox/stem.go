package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Stem cells: a runtime started before its function is known gets an empty
// task root, and the function's code appears there when it is assigned.
//
// The platform's stem dir (Config.StemDir) is a bind mount of itself with
// shared propagation, in a peer group of its own. A stem instance's mount
// namespace receives a read-only clone of its own subdirectory, taken
// before the namespace's mounts are made private and turned into a slave
// of the platform's, at TaskRoot: mounts made later on that subdirectory
// on the host side propagate into the instance, and nothing the instance
// does propagates back. Attach mounts the code there as a read-only bind
// from the platform's side (about 25 µs); the instance sees it at
// TaskRoot.
//
// On a host whose / is itself a shared mount (systemd's default), the
// bind of the stem dir made at start propagates, empty, to the mount
// namespaces that receive / from the host (those of services and
// containers started with shared propagation), once per start; the code
// mounts do not, as the stem dir is made private before any is attached.

// setupStemRoot makes Config.StemDir a shared mount of its own and clears
// what a platform that crashed left in it. Stems are unavailable (Start
// with Spec.Stem fails) when it returns an error.
func (s *Sandbox) setupStemRoot() error {
	dir, err := filepath.Abs(s.cfg.StemDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A crash leaves the bind (with code mounts under it) in the host's
	// namespace: detach it and whatever is under it, then the dirs.
	for unix.Unmount(dir, unix.MNT_DETACH) == nil {
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.Remove(filepath.Join(dir, e.Name())) // empty dirs only: never follow into code
	}
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", dir, err)
	}
	// Private first: a fresh peer group, so attaches never propagate to
	// other namespaces of the host.
	for _, p := range []uintptr{unix.MS_PRIVATE, unix.MS_SHARED} {
		if err := unix.Mount("", dir, "", p, ""); err != nil {
			unix.Unmount(dir, unix.MNT_DETACH)
			return fmt.Errorf("propagation of %s: %w", dir, err)
		}
	}
	s.stemRoot = dir
	return nil
}

// StemsAvailable says why Start cannot make stem instances (Spec.Stem), or
// nil when it can.
func (s *Sandbox) StemsAvailable() error {
	if s.stemRoot == "" && !s.cfg.Disable && s.host.Root && s.host.Namespaces {
		return errors.New("sandbox: stem cells are unavailable: " + s.stemErr)
	}
	return nil
}

// stemDir makes the task root of a new stem instance on the host side.
func (s *Sandbox) stemDir(n uint64) (string, error) {
	if s.stemRoot == "" {
		return "", errors.New("sandbox: stem cells are unavailable: " + s.stemErr)
	}
	d := filepath.Join(s.stemRoot, "s"+strconv.FormatUint(n, 10))
	if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("sandbox: stem dir: %w", err)
	}
	return d, nil
}

// cloneStem runs on the spawning thread before it leaves the platform's
// mount namespace: the clone of the stem's subdirectory joins the peer
// group of the platform's stem root.
func cloneStem(dir string) (int, error) {
	fd, err := readOnlyClone(dir, false)
	if err != nil {
		return -1, fmt.Errorf("sandbox: stem: %w", err)
	}
	return fd, nil
}

// attachStem places the clone at its own path, after the namespace's
// mounts were made private, and makes it a slave of the host's.
func attachStem(fd int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: stem mount point %s: %w", dir, err)
	}
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, dir, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("sandbox: stem %s: %w", dir, err)
	}
	if err := unix.Mount("", dir, "", unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("sandbox: stem %s as a slave: %w", dir, err)
	}
	return nil
}

// Attach shows codeDir, read-only, to a stem instance (started with
// Spec.Stem) and returns the path where the instance sees it: TaskRoot.
// Without mount namespaces the instance sees the host's files: the path is
// codeDir itself.
func (b *Box) Attach(codeDir string) (string, error) {
	b.stemMu.Lock()
	defer b.stemMu.Unlock()
	switch {
	case b.closing:
		return "", errors.New("sandbox: the stem instance is closed")
	case b.stem == "":
		return codeDir, nil
	case b.attached:
		return "", errors.New("sandbox: the stem instance has its code already")
	}
	fd, err := readOnlyClone(codeDir, true)
	if err != nil {
		return "", fmt.Errorf("sandbox: attach: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, b.stem, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", fmt.Errorf("sandbox: attach %s: %w", codeDir, err)
	}
	b.attached = true
	return b.s.taskRoot(b.stem), nil
}

// Limit sets the instance's cgroup limits for memMB (a stem instance gets
// its function's size when it is assigned).
func (b *Box) Limit(memMB int) error {
	if b.cg == nil {
		return nil
	}
	return b.cg.limit(memMB, b.s.cfg.PidsMax, b.s.host.Memsw)
}

// closeStem detaches the code (the unmount propagates into the instance's
// namespace, which is gone by now anyway) and removes the task root.
func (b *Box) closeStem() error {
	b.stemMu.Lock()
	defer b.stemMu.Unlock()
	b.closing = true
	if b.stem == "" {
		return nil
	}
	var err error
	if b.attached {
		if err = unix.Unmount(b.stem, unix.MNT_DETACH); err != nil {
			err = fmt.Errorf("sandbox: detach %s: %w", b.stem, err)
		}
	}
	if rerr := os.Remove(b.stem); rerr != nil && err == nil && !errors.Is(rerr, os.ErrNotExist) {
		err = fmt.Errorf("sandbox: remove %s: %w", b.stem, rerr)
	}
	b.stem = ""
	return err
}

// closeStemRoot detaches the stem root (and anything still under it).
func (s *Sandbox) closeStemRoot() error {
	if s.stemRoot == "" {
		return nil
	}
	if err := unix.Unmount(s.stemRoot, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("sandbox: detach %s: %w", s.stemRoot, err)
	}
	return nil
}
