package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// template is a formatted, empty image of one size.
type template struct {
	once  sync.Once
	f     *os.File
	size  int64
	spans [][2]int64 // where it holds data: offset, length
	err   error
}

// make copies the template of mb MB into a new image and mounts it.
func (p *scratchPool) make(mb int) (*scratch, error) {
	t := p.template(mb)
	if t.err != nil {
		return nil, t.err
	}
	f, err := p.image(t.size)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the loop device holds its own reference
	for _, s := range t.spans {
		off, woff := s[0], s[0]
		for n := s[1]; n > 0; {
			c, err := unix.CopyFileRange(int(t.f.Fd()), &off, int(f.Fd()), &woff, int(n), 0)
			if err != nil || c == 0 {
				return nil, fmt.Errorf("copy the /tmp template: %w", errors.Join(err, io.ErrUnexpectedEOF))
			}
			n -= int64(c)
		}
	}
	mnt, loop, err := p.mount(f)
	if err != nil {
		return nil, err
	}
	return &scratch{mnt: mnt, mb: mb, loop: loop}, nil
}

// image creates an unnamed sparse file of size bytes in the scratch dir.
func (p *scratchPool) image(size int64) (*os.File, error) {
	fd, err := unix.Open(p.dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("unnamed file in %s: %w", p.dir, err)
	}
	f := os.NewFile(uintptr(fd), "scratch")
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("size the /tmp image: %w", err)
	}
	return f, nil
}

// mount binds f to a free loop device and mounts its ext4 detached.
func (p *scratchPool) mount(f *os.File) (mnt int, loop string, err error) {
	dev, err := p.attach(f)
	if err != nil {
		return -1, "", err
	}
	defer dev.Close() // autoclear: the device frees itself once the filesystem lets go
	mnt, err = mountDev(dev.Name())
	return mnt, dev.Name(), err
}

// mountDev mounts the ext4 on the block device dev, detached. A device
// whose filesystem is mounted already gets another mount of it.
func mountDev(dev string) (int, error) {
	fs, err := unix.Fsopen("ext4", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("ext4: %w", err)
	}
	defer unix.Close(fs)
	if err := unix.FsconfigSetString(fs, "source", dev); err != nil {
		return -1, fmt.Errorf("ext4 on %s: %w", dev, err)
	}
	// The template leaves the inode tables unwritten (sparse): never
	// zero them in the background either.
	if err := unix.FsconfigSetFlag(fs, "noinit_itable"); err != nil {
		return -1, fmt.Errorf("ext4 on %s: %w", dev, err)
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("mount ext4 from %s: %w", dev, err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOATIME)
	if err != nil {
		return -1, fmt.Errorf("mount ext4 from %s: %w", dev, err)
	}
	return mnt, nil
}

// attach binds f to a free loop device, which clears itself on its last
// close.
func (p *scratchPool) attach(f *os.File) (*os.File, error) {
	cfg := unix.LoopConfig{Fd: uint32(f.Fd()), Info: unix.LoopInfo64{Flags: unix.LO_FLAGS_AUTOCLEAR | unix.LO_FLAGS_DIRECT_IO}}
	var last error
	for range 8 { // another process may take the free device first
		p.ctlMu.Lock()
		n, err := unix.IoctlRetInt(int(p.ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			p.ctlMu.Unlock()
			return nil, fmt.Errorf("free loop device: %w", err)
		}
		dev, err := os.OpenFile("/dev/loop"+strconv.Itoa(n), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			p.ctlMu.Unlock()
			return nil, fmt.Errorf("loop device: %w", err)
		}
		err = unix.IoctlLoopConfigure(int(dev.Fd()), &cfg)
		p.ctlMu.Unlock()
		if err == nil {
			return dev, nil
		}
		dev.Close()
		if last = err; err != unix.EBUSY {
			break
		}
	}
	return nil, fmt.Errorf("configure a loop device: %w", last)
}

// template formats (once) the image every scratch filesystem of mb MB is
// copied from.
func (p *scratchPool) template(mb int) *template {
	p.tmplMu.Lock()
	t := p.tmpls[mb]
	if t == nil {
		t = &template{}
		p.tmpls[mb] = t
	}
	p.tmplMu.Unlock()
	t.once.Do(func() { t.err = p.format(t, mb) })
	return t
}

func (p *scratchPool) closeTemplates() {
	p.tmplMu.Lock()
	defer p.tmplMu.Unlock()
	for _, t := range p.tmpls {
		if t.f != nil {
			t.f.Close()
		}
	}
	p.tmpls = map[int]*template{}
}

// format makes t an empty ext4 image with mb MB free (the image is larger
// by the filesystem's own metadata), a root of mode 1777 and no
// lost+found.
func (p *scratchPool) format(t *template, mb int) error {
	want := int64(mb) << 20
	size := want
	for try := 0; ; try++ {
		f, avail, err := p.formatOnce(size)
		if err != nil {
			return err
		}
		// Close enough: up to 1 MB less than asked for, never more.
		if short := want - avail; (short >= 0 && short < 1<<20) || (try >= 3 && short >= 0) {
			t.f, t.size = f, size
			return p.spans(t)
		}
		f.Close()
		if try == 6 {
			return fmt.Errorf("mkfs.ext4: cannot size a %d MB /tmp (%d bytes free of %d)", mb, avail, size)
		}
		size += (want - avail) &^ 4095
	}
}

// formatOnce formats an image of size bytes and returns it with its free
// space.
func (p *scratchPool) formatOnce(size int64) (*os.File, int64, error) {
	f, err := p.image(size)
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(p.mkfs, "-q", "-F", "-b", "4096", "-i", "16384", "-m", "0", "-L", "tmp",
		"-O", "^has_journal,^resize_inode", "-E", "lazy_itable_init=1,nodiscard", "/dev/fd/3")
	cmd.ExtraFiles = []*os.File{f}
	if out, err := cmd.CombinedOutput(); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("mkfs.ext4: %w: %s", err, out)
	}
	mnt, _, err := p.mount(f)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	avail, err := prepareRoot(mnt)
	unix.Close(mnt) // a clean unmount: copies mount without a warning
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, avail, nil
}

// prepareRoot makes the root of the mount at mnt world-writable and sticky
// like /tmp, removes lost+found, and returns the free space.
func prepareRoot(mnt int) (int64, error) {
	root, err := unix.Openat(mnt, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("/tmp template root: %w", err)
	}
	defer unix.Close(root)
	if err := unix.Unlinkat(root, "lost+found", unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return 0, fmt.Errorf("/tmp template: %w", err)
	}
	if err := unix.Fchmod(root, 0o1777); err != nil {
		return 0, fmt.Errorf("/tmp template: %w", err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(root, &st); err != nil {
		return 0, fmt.Errorf("/tmp template: %w", err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// spans records where t's image holds data.
func (p *scratchPool) spans(t *template) error {
	fd := int(t.f.Fd())
	for off := int64(0); off < t.size; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break
		}
		if err != nil {
			return fmt.Errorf("/tmp template: %w", err)
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("/tmp template: %w", err)
		}
		t.spans = append(t.spans, [2]int64{data, hole - data})
		off = hole
	}
	return nil
}

// sweep clears loop devices whose backing file lies in the scratch dir: a
// crashed platform's. One still in use is only marked to clear itself.
func (p *scratchPool) sweep() {
	ents, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, bf := range ents {
		b, err := os.ReadFile(bf)
		if err != nil || filepath.Dir(strings.TrimSpace(string(b))) != p.dir {
			continue
		}
		dev := "/dev/" + filepath.Base(filepath.Dir(filepath.Dir(bf)))
		if f, err := os.OpenFile(dev, os.O_RDWR|unix.O_CLOEXEC, 0); err == nil {
			unix.IoctlSetInt(int(f.Fd()), unix.LOOP_CLR_FD, 0)
			f.Close()
		}
	}
}
