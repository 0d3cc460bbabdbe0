package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// An instance's minimal root: a small tmpfs, built afresh in each
// instance's mount namespace, holding only what a runtime needs — the
// host's /usr (and /lib*, /bin, /sbin: the same symlinks, or read-only
// binds where they are dirs), a few files of /etc, its own passwd and
// group, /dev basics — with its code, runtime client, /tmp, /dev/shm and
// /proc mounted into it; the thread then makes it its root (enterRoot), so
// that nothing else of the host (home dirs, /srv, /opt, /work, the data
// dir, other mounts) is reachable or even listed in the instance's
// mountinfo.

// rootStage is where the spawning thread builds the new root before it
// pivots into it: any dir of the host root serves, in the thread's
// private mount namespace.
const rootStage = "/tmp"

// Top-level entries of the host's root an instance gets: recreated as the
// same symlinks, or bound read-only where they are dirs.
var rootEntries = []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// Files of the host's /etc an instance gets a copy of (refreshed when the
// host's file changes), and dirs of it bound read-only.
var (
	etcFiles = []string{"resolv.conf", "hosts", "nsswitch.conf", "host.conf", "gai.conf",
		"ld.so.cache", "services", "protocols", "localtime", "timezone", "os-release"}
	etcDirs = []string{"ssl", "pki", "ca-certificates", "crypto-policies", "alternatives"}
)

// instanceUser is the name the instance's uid has in its /etc/passwd.
const instanceUser = "sbx_user"

// rootPlan is what New found of the host for the instances' roots.
type rootPlan struct {
	links map[string]string // top-level name → symlink target
	binds []string          // host dirs bound read-only at their own paths
	extra sync.Map          // executable path → host dir to bind for it, "" for none

	mu  sync.Mutex
	etc map[string]*etcFile // name → the cached copy
}

// etcFile is a cached copy of one file of the host's /etc.
type etcFile struct {
	mod  time.Time
	size int64
	link string // a symlink's target (localtime); else data
	data []byte
}

// devNodes are the device nodes of an instance's /dev (major, minor).
var devNodes = []struct {
	name         string
	major, minor uint32
}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}

// newRootPlan inspects the host's root. /usr must be a dir.
func newRootPlan() (*rootPlan, error) {
	p := &rootPlan{links: map[string]string{}, etc: map[string]*etcFile{}}
	for _, name := range rootEntries {
		path := "/" + name
		fi, err := os.Lstat(path)
		switch {
		case err != nil && name == "usr":
			return nil, fmt.Errorf("no /usr: %w", err)
		case err != nil:
			continue
		case fi.Mode()&os.ModeSymlink != 0:
			t, err := os.Readlink(path)
			if err != nil {
				return nil, err
			}
			p.links[name] = t
		case fi.IsDir():
			p.binds = append(p.binds, path)
		}
	}
	var pyEtc []string
	if m, err := filepath.Glob("/etc/python3*"); err == nil {
		pyEtc = m // Debian's sitecustomize lives there
	}
	for _, d := range append(prefixAll("/etc/", etcDirs), pyEtc...) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			p.binds = append(p.binds, d)
		}
	}
	return p, nil
}

func prefixAll(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// etcEntry is one file of an instance's /etc.
type etcEntry struct {
	name, link string
	data       []byte
}

// etcFor returns the /etc files of an instance running as uid: copies of
// the host's (re-read when they changed), its passwd, group and hostname.
func (p *rootPlan) etcFor(uid uint32) []etcEntry {
	u := strconv.FormatUint(uint64(uid), 10)
	out := []etcEntry{
		{name: "passwd", data: []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
			instanceUser + ":x:" + u + ":" + u + "::/tmp:/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")},
		{name: "group", data: []byte("root:x:0:\n" + instanceUser + ":x:" + u + ":\n" + "nogroup:x:65534:\n")},
		{name: "hostname", data: []byte("updraft\n")},
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, name := range etcFiles {
		if f := p.etcFile(name); f != nil {
			out = append(out, etcEntry{name: name, link: f.link, data: f.data})
		}
	}
	return out
}

// etcFile returns the cached copy of /etc/name, refreshed when the host's
// file changed, or nil when it is missing. Call with p.mu held.
func (p *rootPlan) etcFile(name string) *etcFile {
	path := "/etc/" + name
	li, err := os.Lstat(path)
	if err != nil {
		delete(p.etc, name)
		return nil
	}
	// A symlink into /usr (localtime) stays one; any other is followed.
	if li.Mode()&os.ModeSymlink != 0 {
		if t, err := os.Readlink(path); err == nil && strings.HasPrefix(t, "/usr/") {
			f := &etcFile{mod: li.ModTime(), link: t}
			p.etc[name] = f
			return f
		}
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		delete(p.etc, name)
		return nil
	}
	if f := p.etc[name]; f != nil && f.link == "" && f.mod.Equal(fi.ModTime()) && f.size == fi.Size() {
		return f
	}
	data, err := os.ReadFile(path)
	if err != nil {
		delete(p.etc, name)
		return nil
	}
	f := &etcFile{mod: fi.ModTime(), size: fi.Size(), data: data}
	p.etc[name] = f
	return f
}

// extraFor returns the host dir an instance running exe also needs, when
// exe lives outside the dirs every instance gets (an interpreter under
// /opt, say): the dir above its bin dir, or its own dir. "" for none.
func (p *rootPlan) extraFor(exe string) string {
	if v, ok := p.extra.Load(exe); ok {
		return v.(string)
	}
	dir := ""
	if real, err := filepath.EvalSymlinks(exe); err == nil && !p.covers(real) {
		dir = filepath.Dir(real)
		if filepath.Base(dir) == "bin" {
			dir = filepath.Dir(dir)
		}
		if dir == "/" {
			dir = ""
		}
	}
	p.extra.Store(exe, dir)
	return dir
}

// covers reports whether path is inside a dir every instance gets.
func (p *rootPlan) covers(path string) bool {
	for _, d := range append([]string{TaskRoot, RuntimeRoot}, p.binds...) {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// buildRoot mounts a tmpfs on rootStage and lays out the instance's root
// in it: dirs, symlinks, /etc and /dev. It runs on the spawning thread,
// in its private mount namespace.
func (p *rootPlan) buildRoot(etc []etcEntry) error {
	if err := unix.Mount("tmpfs", rootStage, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "size=1m,nr_inodes=4096,mode=755"); err != nil {
		return fmt.Errorf("sandbox: minimal root: %w", err)
	}
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
	for _, e := range etc {
		if e.link != "" {
			errs = append(errs, os.Symlink(e.link, r+"etc/"+e.name))
		} else {
			errs = append(errs, os.WriteFile(r+"etc/"+e.name, e.data, 0o644))
		}
	}
	for _, n := range devNodes {
		errs = append(errs, unix.Mknod(r+"dev/"+n.name, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))))
	}
	for name, t := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		errs = append(errs, os.Symlink(t, r+"dev/"+name))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: minimal root: %w", err)
	}
	return nil
}

// enterRoot makes the built root read-only and moves the thread's root
// into it.
func enterRoot() error {
	// The remount failed once with EBUSY (a write reference on the new
	// tmpfs, which nothing but this thread has seen) in about 10,000
	// starts under load: retried briefly.
	var err error
	for range 100 {
		if err = unix.Mount("", rootStage, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NOEXEC, ""); err != unix.EBUSY {
			break
		}
		time.Sleep(10 * time.Microsecond)
	}
	if err != nil {
		return fmt.Errorf("sandbox: minimal root read-only: %w", err)
	}
	// chroot, not pivot_root: detaching the host's root costs an RCU
	// grace period (about 0.2 ms) at every cold start. The host's mounts
	// stay in the namespace, out of reach: the instance has no capability
	// left (CAP_SYS_CHROOT) to leave its root, and its mountinfo lists
	// only the mounts under it.
	if err := unix.Chroot(rootStage); err != nil {
		return fmt.Errorf("sandbox: chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("sandbox: minimal root: %w", err)
	}
	return nil
}

// hidden lists the hidden dirs (Config.HideDirs) that lie inside a dir
// bound into the minimal root: they are covered there.
func (p *rootPlan) hidden(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		for _, b := range p.binds {
			if d == b || strings.HasPrefix(d, b+"/") {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// probeRoot plans the instances' minimal root and builds one on a
// throwaway thread, as Start will: New falls back to the host's root,
// with a warning, where that fails (no pivot_root on an initramfs root,
// say).
func (s *Sandbox) probeRoot() error {
	p, err := newRootPlan()
	if err != nil {
		return err
	}
	s.root = p
	v := view{tmpMB: 1, etc: p.etcFor(uint32(s.cfg.UIDBase))}
	return onThrowawayThread(func() error {
		_, err := s.setupNamespaces(v)
		return err
	})
}
