package wasm

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sync"
	"sync/atomic"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"
)

// tmpFS is an instance's /tmp: a directory of its own on the host, seen
// through wazero's sysfs with every path kept inside it and the bytes its
// files hold capped at the function's ephemeral storage. A write past the
// cap fails with ENOSPC, as on a full disk.
//
// The cap counts the size of regular files: a write or truncate that grows
// a file is charged the growth, a truncate, unlink, or rename over a file
// refunds it. Links would count one file twice and symlinks could point out
// of the directory: both are refused.
//
// The directory is made on the guest's first use of /tmp: a mkdir costs
// about 0.4 ms on an overlay filesystem, more than the rest of a cold
// start, and most functions never touch /tmp.
type tmpFS struct {
	experimentalsys.FS
	dir   string
	limit int64
	used  atomic.Int64

	once  sync.Once
	errno experimentalsys.Errno // of the mkdir
}

func newTmpFS(dir string, limit int64) *tmpFS {
	return &tmpFS{FS: sysfs.DirFS(dir), dir: dir, limit: limit}
}

// ensure makes the directory, once.
func (t *tmpFS) ensure() experimentalsys.Errno {
	t.once.Do(func() {
		if err := os.Mkdir(t.dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			t.errno = experimentalsys.EIO
		}
	})
	return t.errno
}

// clean keeps p inside the directory: "../x", "/../x" and "a/../../x" all
// resolve at or below its root.
func clean(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return "."
	}
	return c[1:]
}

// charge takes n bytes (a refund when negative) from the budget; it fails
// when the budget cannot cover them.
func (t *tmpFS) charge(n int64) bool {
	if n <= 0 {
		t.used.Add(n)
		return true
	}
	for {
		u := t.used.Load()
		if u+n > t.limit {
			return false
		}
		if t.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// sizeOf is the size of the regular file at p, 0 for anything else.
func (t *tmpFS) sizeOf(p string) int64 {
	st, errno := t.FS.Lstat(p)
	if errno != 0 || !st.Mode.IsRegular() {
		return 0
	}
	return st.Size
}

func (t *tmpFS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if errno := t.ensure(); errno != 0 {
		return nil, errno
	}
	p = clean(p)
	var old int64
	if flag&experimentalsys.O_TRUNC != 0 {
		old = t.sizeOf(p)
	}
	f, errno := t.FS.OpenFile(p, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	t.charge(-old)
	return &tmpFile{File: f, fs: t}, 0
}

func (t *tmpFS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	if errno := t.ensure(); errno != 0 {
		return sys.Stat_t{}, errno
	}
	return t.FS.Lstat(clean(p))
}

func (t *tmpFS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	if errno := t.ensure(); errno != 0 {
		return sys.Stat_t{}, errno
	}
	return t.FS.Stat(clean(p))
}

func (t *tmpFS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	if errno := t.ensure(); errno != 0 {
		return errno
	}
	return t.FS.Mkdir(clean(p), perm)
}

func (t *tmpFS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	if errno := t.ensure(); errno != 0 {
		return errno
	}
	return t.FS.Chmod(clean(p), perm)
}

func (t *tmpFS) Rmdir(p string) experimentalsys.Errno {
	if errno := t.ensure(); errno != 0 {
		return errno
	}
	return t.FS.Rmdir(clean(p))
}

func (t *tmpFS) Readlink(p string) (string, experimentalsys.Errno) {
	if errno := t.ensure(); errno != 0 {
		return "", errno
	}
	return t.FS.Readlink(clean(p))
}

func (t *tmpFS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	if errno := t.ensure(); errno != 0 {
		return errno
	}
	return t.FS.Utimens(clean(p), atim, mtim)
}

func (t *tmpFS) Rename(from, to string) experimentalsys.Errno {
	if errno := t.ensure(); errno != 0 {
		return errno
	}
	from, to = clean(from), clean(to)
	replaced := t.sizeOf(to)
	if errno := t.FS.Rename(from, to); errno != 0 {
		return errno
	}
	t.charge(-replaced)
	return 0
}

func (t *tmpFS) Unlink(p string) experimentalsys.Errno {
	if errno := t.ensure(); errno != 0 {
		return errno
	}
	p = clean(p)
	size := t.sizeOf(p)
	if errno := t.FS.Unlink(p); errno != 0 {
		return errno
	}
	t.charge(-size)
	return 0
}

func (t *tmpFS) Link(string, string) experimentalsys.Errno    { return experimentalsys.EPERM }
func (t *tmpFS) Symlink(string, string) experimentalsys.Errno { return experimentalsys.EPERM }

// tmpFile charges the growth of a file to its tmpFS.
type tmpFile struct {
	experimentalsys.File
	fs *tmpFS
}

// grow charges the growth to end, the offset a write reaches.
func (f *tmpFile) grow(end int64) experimentalsys.Errno {
	st, errno := f.File.Stat()
	if errno != 0 {
		return errno
	}
	if end > st.Size && !f.fs.charge(end-st.Size) {
		return experimentalsys.EIO
	}
	return 0
}

func (f *tmpFile) Write(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	var off int64
	if f.File.IsAppend() {
		st, errno := f.File.Stat()
		if errno != 0 {
			return 0, errno
		}
		off = st.Size
	} else {
		o, errno := f.File.Seek(0, 1)
		if errno != 0 {
			return 0, errno
		}
		off = o
	}
	if errno := f.grow(off + int64(len(buf))); errno != 0 {
		return 0, errno
	}
	return f.File.Write(buf)
}

func (f *tmpFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if errno := f.grow(off + int64(len(buf))); errno != 0 {
		return 0, errno
	}
	return f.File.Pwrite(buf, off)
}

func (f *tmpFile) Truncate(size int64) experimentalsys.Errno {
	st, errno := f.File.Stat()
	if errno != 0 {
		return errno
	}
	if size > st.Size && !f.fs.charge(size-st.Size) {
		return experimentalsys.EIO
	}
	if errno := f.File.Truncate(size); errno != 0 {
		if size > st.Size {
			f.fs.charge(st.Size - size)
		}
		return errno
	}
	if size < st.Size {
		f.fs.charge(size - st.Size)
	}
	return 0
}
