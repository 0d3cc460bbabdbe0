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

// An instance's minimal root holds only what a runtime needs — the host's
// /usr (and /lib*, /bin, /sbin: the same symlinks, or read-only binds
// where they are dirs), a few files of /etc, its own passwd and group,
// /dev basics — with its code, runtime client, /tmp, /dev/shm and /proc
// mounted into it, so that nothing else of the host (home dirs, /srv,
// /opt, /work, the data dir, other mounts) is reachable or even listed in
// the instance's mountinfo.
//
// It is built once per Sandbox (roottemplate.go): a mount namespace whose
// root is a read-only tmpfs laid out as above, held open by a file
// descriptor. A cold start joins that namespace and unshares a copy of
// it (a handful of mounts, fewer than the host's), then mounts what is
// the instance's own: /tmp, /dev/shm, /var/task, /var/runtime, its
// passwd and group (one file each per uid, from a tmpfs of the template
// that the instance's /proc covers) and /proc.

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

// etcCheckEvery is how often a cold start looks for changes of the host's
// /etc files (resolv.conf, hosts) to copy into the template.
const etcCheckEvery = time.Second

// rootPlan is what New found of the host for the instances' roots, and the
// template built from it.
type rootPlan struct {
	links map[string]string // top-level name → symlink target
	binds []string          // host dirs bound read-only at their own paths
	extra sync.Map          // executable path → host dir to bind for it, "" for none

	ns    int // the template's mount namespace (see roottemplate.go)
	rw    int // a writable, detached mount of the template's tmpfs
	users int // the users tmpfs: <uid>/passwd and <uid>/group

	mu      sync.Mutex
	etcDir  string              // the host's /etc
	etc     map[string]*etcFile // name → what the template holds
	checked time.Time           // last look at the host's files
}

// etcFile is a copy of one file of the host's /etc.
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
	p := &rootPlan{links: map[string]string{}, etcDir: "/etc", etc: map[string]*etcFile{}, ns: -1, rw: -1, users: -1}
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

// readEtc returns a copy of the host's /etc/name (dir/name), or nil when
// it is missing or not a regular file (nor a symlink into /usr, which
// stays one: localtime).
func readEtc(dir, name string) *etcFile {
	path := dir + "/" + name
	li, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if li.Mode()&os.ModeSymlink != 0 {
		if t, err := os.Readlink(path); err == nil && strings.HasPrefix(t, "/usr/") {
			return &etcFile{mod: li.ModTime(), link: t}
		}
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return &etcFile{mod: fi.ModTime(), size: fi.Size(), data: data}
}

// same reports whether the host's file dir/name still matches f, by its
// metadata.
func (f *etcFile) same(dir, name string) bool {
	path := dir + "/" + name
	if f.link != "" {
		li, err := os.Lstat(path)
		return err == nil && li.Mode()&os.ModeSymlink != 0 && li.ModTime().Equal(f.mod)
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.ModTime().Equal(f.mod) && fi.Size() == f.size
}

// refreshEtc copies into the template the host's /etc files that changed
// since it last looked (at most once per etcCheckEvery): a changed
// resolv.conf or hosts reaches the next instances. The template's file is
// replaced by a rename, so a running instance reads the old or the new
// one, never half of either.
func (p *rootPlan) refreshEtc() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.checked) < etcCheckEvery {
		return nil
	}
	p.checked = time.Now()
	var errs []error
	for _, name := range etcFiles {
		old := p.etc[name]
		if old != nil && old.same(p.etcDir, name) {
			continue
		}
		f := readEtc(p.etcDir, name)
		if f == nil && old == nil {
			continue
		}
		errs = append(errs, writeAt(p.rw, "etc/"+name, f))
		if f == nil {
			delete(p.etc, name)
		} else {
			p.etc[name] = f
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: minimal root /etc: %w", err)
	}
	return nil
}

// writeAt replaces the file at path under the dir fd with f (removes it
// for nil) through a temporary name and a rename.
func writeAt(dir int, path string, f *etcFile) error {
	if f == nil {
		if err := unix.Unlinkat(dir, path, 0); err != nil && err != unix.ENOENT {
			return fmt.Errorf("remove %s: %w", path, err)
		}
		return nil
	}
	tmp := path + ".new"
	unix.Unlinkat(dir, tmp, 0)
	if f.link != "" {
		if err := unix.Symlinkat(f.link, dir, tmp); err != nil {
			return fmt.Errorf("link %s: %w", path, err)
		}
	} else {
		fd, err := unix.Openat(dir, tmp, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		_, err = unix.Write(fd, f.data)
		if cerr := unix.Close(fd); err == nil {
			err = cerr
		}
		if err == nil {
			err = unix.Fchmodat(dir, tmp, 0o644, 0) // whatever the umask
		}
		if err != nil {
			unix.Unlinkat(dir, tmp, 0)
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := unix.Renameat(dir, tmp, dir, path); err != nil {
		unix.Unlinkat(dir, tmp, 0)
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}

// addUser writes the passwd and group an instance running as uid sees
// (its own user, root and nobody) into the users tmpfs.
func (p *rootPlan) addUser(uid uint32) error {
	u := strconv.FormatUint(uint64(uid), 10)
	if err := unix.Mkdirat(p.users, u, 0o755); err != nil && err != unix.EEXIST {
		return fmt.Errorf("sandbox: passwd for uid %s: %w", u, err)
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		instanceUser + ":x:" + u + ":" + u + "::/tmp:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
	group := "root:x:0:\n" + instanceUser + ":x:" + u + ":\n" + "nogroup:x:65534:\n"
	for _, f := range []struct{ name, data string }{{"passwd", passwd}, {"group", group}} {
		if err := writeAt(p.users, u+"/"+f.name, &etcFile{data: []byte(f.data)}); err != nil {
			return fmt.Errorf("sandbox: %s for uid %s: %w", f.name, u, err)
		}
	}
	return nil
}

// removeUser removes what addUser wrote for uid.
func (p *rootPlan) removeUser(uid uint32) {
	u := strconv.FormatUint(uint64(uid), 10)
	unix.Unlinkat(p.users, u+"/passwd", 0)
	unix.Unlinkat(p.users, u+"/group", 0)
	unix.Unlinkat(p.users, u, unix.AT_REMOVEDIR)
}

// bindUser shows the instance its passwd and group; it runs on the
// spawning thread, in the instance's copy of the template, before /proc
// covers the users tmpfs.
func bindUser(uid uint32) error {
	u := strconv.FormatUint(uint64(uid), 10)
	for _, name := range []string{"passwd", "group"} {
		if err := unix.Mount(usersDir+"/"+u+"/"+name, "/etc/"+name, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("sandbox: /etc/%s: %w", name, err)
		}
	}
	return nil
}

// extraFor returns the host dir an instance running exe also needs, when
// exe lives outside the dirs every instance gets (an interpreter under
// /opt, say): the dir above its bin dir, or its own dir. "" for none. The
// first time, it makes the dir's mount point in the template.
func (p *rootPlan) extraFor(exe string) (string, error) {
	if v, ok := p.extra.Load(exe); ok {
		return v.(string), nil
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
	if dir != "" {
		if err := mkdirAllAt(p.rw, strings.TrimPrefix(dir, "/")); err != nil {
			return "", fmt.Errorf("sandbox: minimal root: mount point for %s: %w", exe, err)
		}
	}
	p.extra.Store(exe, dir)
	return dir, nil
}

// mkdirAllAt makes the dir path (relative) and its parents under the dir
// fd.
func mkdirAllAt(fd int, path string) error {
	parts := strings.Split(path, "/")
	for i := range parts {
		if err := unix.Mkdirat(fd, strings.Join(parts[:i+1], "/"), 0o755); err != nil && err != unix.EEXIST {
			return err
		}
	}
	return nil
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

// hidden lists the hidden dirs (Config.HideDirs) that lie inside a dir
// bound into the minimal root: the template covers them.
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
