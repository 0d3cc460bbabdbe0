package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Scratch filesystems: each instance's /tmp is an ext4 filesystem of its
// own on a loop device over an unnamed sparse file in Config.ScratchDir, so
// its size is enforced by the filesystem (a write past it fails with
// ENOSPC, as on Lambda) and its files live on disk: the instance's memory
// cgroup holds only their reclaimable page cache.
//
// No mkfs runs on the cold path: a template image per size is formatted
// once (mkfs.ext4, no journal) and a new filesystem is a sparse copy of its
// few hundred KB of metadata (copy_file_range), bound to a loop device
// (direct I/O: no second copy in the host's page cache) and mounted
// detached (fsopen/fsmount), with no path in the host's mount namespace
// (scratchfs.go). That takes a few ms of kernel time, so a pool keeps
// Config.WarmSlots filesystems of the default size ready, and one whose
// instance closed is emptied and mounted again for the next rather than
// torn down: the cold start only moves a ready one onto /tmp (move_mount).
//
// Nothing outlives its users: the backing file has no name (O_TMPFILE),
// the loop device clears itself once the filesystem lets go of it
// (LO_FLAGS_AUTOCLEAR), and the filesystem goes with its last mount, shut
// down first so that files nobody will read are not written back. A
// crashed platform's ready filesystems die with its descriptors and its
// instances' with their mount namespaces, once New has killed them
// (sweepStale); New also clears loop devices left over the scratch dir.

// scratch is one ready filesystem: a detached mount of its root.
type scratch struct {
	mnt  int    // fsmount fd, moved onto /tmp by the spawning thread
	mb   int    // its size
	loop string // its loop device, to mount it again for reuse
}

// close discards a scratch filesystem that was not used.
func (sc *scratch) close() {
	if sc != nil && sc.mnt >= 0 {
		unix.Close(sc.mnt)
		sc.mnt = -1
	}
}

// usedScratch is an instance's /tmp once the instance is gone.
type usedScratch struct {
	root int // an open directory on it
	mb   int
	loop string
}

// release lets go of the filesystem: shut down first, so that the unmount
// does not write back what nobody will read.
func (u usedScratch) release() {
	unix.IoctlSetPointerInt(u.root, ext4Shutdown, ext4ShutdownNoFlush)
	unix.Close(u.root)
}

// ext4Shutdown is EXT4_IOC_SHUTDOWN (_IOR('X', 125, __u32));
// EXT4_GOING_FLAGS_NOLOGFLUSH drops what is not written yet.
const (
	ext4Shutdown        = 0x8004587d
	ext4ShutdownNoFlush = 2
)

// scratchPool makes, keeps and reuses scratch filesystems.
type scratchPool struct {
	dir    string
	mkfs   string
	log    *slog.Logger
	defMB  int
	warm   int              // the ready count the keeper keeps up by making new ones
	ready  chan *scratch    // of defMB; up to keepMax·warm, past warm by reuse only
	used   chan usedScratch // of defMB, to empty and reuse
	reused atomic.Int64     // filesystems emptied and mounted again, so far
	want   chan struct{}    // cap 1
	stop   chan struct{}
	done   chan struct{}
	rel    sync.WaitGroup // releases in progress: each waits for the kernel for ms
	ctlMu  sync.Mutex     // loop-control: get a free device, then take it
	ctl    *os.File
	tmplMu sync.Mutex
	tmpls  map[int]*template
}

// mkfsPaths are where mkfs.ext4 is looked for besides PATH.
var mkfsPaths = []string{"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4", "/usr/bin/mkfs.ext4"}

// newScratchPool checks that the host can make scratch filesystems by
// making one, and starts the pool's keeper. It fails with what is missing.
func newScratchPool(dir string, defMB, warm int, log *slog.Logger) (*scratchPool, error) {
	if dir == "" {
		return nil, errors.New("no scratch dir configured")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	mkfs, err := exec.LookPath("mkfs.ext4")
	for _, p := range mkfsPaths {
		if err == nil {
			break
		}
		if _, serr := os.Stat(p); serr == nil {
			mkfs, err = p, nil
		}
	}
	if err != nil {
		return nil, errors.New("no mkfs.ext4: install e2fsprogs")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("no loop devices: %w", err)
	}
	p := &scratchPool{dir: dir, mkfs: mkfs, log: log, defMB: defMB, ctl: ctl, tmpls: map[int]*template{},
		warm: warm, ready: make(chan *scratch, keepMax*warm), used: make(chan usedScratch, keepMax*warm),
		want: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	p.sweep()
	sc, err := p.make(defMB)
	if err != nil {
		p.closeTemplates()
		ctl.Close()
		return nil, err
	}
	p.ready <- sc
	go p.keep()
	p.wake()
	return p, nil
}

// take returns a scratch filesystem of mb MB: a ready one of the default
// size, else a new one.
func (p *scratchPool) take(mb int) (*scratch, error) {
	if mb == p.defMB {
		defer p.wake()
		select {
		case sc := <-p.ready:
			return sc, nil
		default:
		}
	}
	return p.make(mb)
}

// give takes back the /tmp of a closed instance: one of the default size
// is emptied and kept for reuse if the pool has room, the rest released.
func (p *scratchPool) give(u usedScratch) {
	if u.mb == p.defMB {
		select {
		case p.used <- u:
			p.wake()
			return
		default:
		}
	}
	p.rel.Go(u.release)
}

func (p *scratchPool) wake() {
	select {
	case p.want <- struct{}{}:
	default:
	}
}

// keep refills the pool until close, reusing what give took back before
// it makes new filesystems.
func (p *scratchPool) keep() {
	defer close(p.done)
	for {
		select {
		case <-p.stop:
			return
		case <-p.want:
		}
		for {
			var u *usedScratch
			select {
			case x := <-p.used:
				u = &x
			default:
			}
			if u == nil && len(p.ready) >= p.warm {
				break
			}
			sc, err := p.refresh(u)
			if err != nil {
				p.log.Warn("sandbox: prepare a /tmp filesystem", "err", err)
				break
			}
			if sc == nil {
				continue
			}
			select {
			case p.ready <- sc:
			default:
				sc.close()
			}
		}
	}
}

// refresh empties and mounts again u, or makes a new filesystem (u nil).
// A used filesystem that does not fit in the pool, or cannot be emptied
// quickly, is released: refresh returns nil for it.
func (p *scratchPool) refresh(u *usedScratch) (*scratch, error) {
	if u == nil {
		return p.make(p.defMB)
	}
	if len(p.ready) == cap(p.ready) || !empty(u.root) {
		p.rel.Go(u.release)
		return nil, nil
	}
	mnt, err := mountDev(u.loop)
	unix.Close(u.root)
	if err != nil {
		return nil, err
	}
	p.reused.Add(1)
	return &scratch{mnt: mnt, mb: u.mb, loop: u.loop}, nil
}

// close stops the keeper and discards the ready and used filesystems.
func (p *scratchPool) close() {
	close(p.stop)
	<-p.done
	for {
		select {
		case sc := <-p.ready:
			sc.close()
			continue
		case u := <-p.used:
			u.release()
			continue
		default:
		}
		break
	}
	p.rel.Wait()
	p.closeTemplates()
	p.ctl.Close()
}

// Limits of emptying a used /tmp for reuse; past them it is released. A
// pool keeps up to keepMax times its warm count when instances give theirs
// back, so that after a burst the next one reuses them.
const (
	keepMax     = 4
	wipeEntries = 4096
	wipeDepth   = 32
)

// empty removes everything in the directory dir (never following a
// symlink) and reports whether it succeeded within the limits.
func empty(dir int) bool {
	budget := wipeEntries
	return wipe(dir, 0, &budget) == nil
}

var errWipeLimit = errors.New("too much to remove")

func wipe(dir, depth int, budget *int) error {
	if depth > wipeDepth {
		return errWipeLimit
	}
	fd, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "tmp")
	ents, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range ents {
		if *budget--; *budget < 0 {
			return errWipeLimit
		}
		if !e.IsDir() {
			if err := unix.Unlinkat(dir, e.Name(), 0); err != nil {
				return err
			}
			continue
		}
		sub, err := unix.Openat(dir, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		err = wipe(sub, depth+1, budget)
		unix.Close(sub)
		if err != nil {
			return err
		}
		if err := unix.Unlinkat(dir, e.Name(), unix.AT_REMOVEDIR); err != nil {
			return err
		}
	}
	return nil
}
