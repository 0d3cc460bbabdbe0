package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Spec is what one instance gets.
type Spec struct {
	MemoryMB int // the memory limit; also weighs its CPU share
	TmpMB    int // size of /tmp; 0 means Config.TmpMB
	// Code is the function's code dir, shown read-only at TaskRoot;
	// Runtime the runtime client's dir ("" for none), shown read-only at
	// RuntimeRoot. Where Sandbox.Remaps is false the instance sees them at
	// their own paths.
	Code, Runtime string
	// NoNetwork gives the instance a network namespace of its own with
	// nothing but loopback; the platform reaches it through Box.Listener.
	// Without it, the instance gets the isolated network of
	// Sandbox.IsolatesNetwork, else the host's.
	NoNetwork bool
	// Stem starts a runtime before its function is known: the instance
	// gets an empty task root where Box.Attach shows the code later (Code
	// is empty).
	Stem bool
}

// RuntimeAPIAddr is where an instance in a network namespace of its own
// (Spec.NoNetwork, Sandbox.IsolatesNetwork) finds the Runtime API: a
// listener inside that namespace, as on Lambda.
const RuntimeAPIAddr = "127.0.0.1:9001"

// EndpointAddr is where an instance in a network namespace of its own
// finds the platform's AWS-compatible endpoint (its AWS_ENDPOINT_URL): a
// listener inside that namespace whose connections the platform forwards
// to the real endpoint. It is the only way to the host.
const EndpointAddr = "127.0.0.1:9002"

// Box is one contained instance process.
type Box struct {
	s       *Sandbox
	cg      *cgroup // nil without cgroups
	pid     int
	oomBase int64
	tmp     usedScratch // its disk-backed /tmp: root is an open directory on it, or -1
	// Listener accepts connections from inside the instance's network
	// namespace on RuntimeAPIAddr (nil on the host's network); the caller serves
	// the Runtime API on it and closes it.
	Listener net.Listener
	// EndpointListener accepts connections from inside the instance's
	// network namespace on EndpointAddr (nil on the host's network); the caller
	// forwards them to the platform's endpoint and closes it.
	EndpointListener net.Listener

	stemMu   sync.Mutex // Attach against Close
	stem     string     // the task root of a stem instance; "" otherwise
	attached bool       // its code is mounted there
	closing  bool       // Close began: Attach fails

	net  *netSlot // its network namespace (Sandbox.IsolatesNetwork); nil otherwise
	user *uint32  // its uid's passwd in the minimal root (rootfs.go); nil for none

	closeOnce sync.Once
	closeErr  error
}

// Start starts cmd inside a new sandbox. cmd must not be started and must
// have SysProcAttr unset or only Setpgid set; Start sets the rest. Pdeathsig
// is cleared (see the package doc).
func (s *Sandbox) Start(cmd *exec.Cmd, spec Spec) (*Box, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	b := &Box{s: s, tmp: usedScratch{root: -1}}
	if s.cfg.Disable || !s.host.Root {
		if spec.NoNetwork {
			// Never run it with the network it asked not to have.
			return nil, errors.New("sandbox: the function asks for no network, but the sandbox is " + s.unavailable())
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		b.pid = cmd.Process.Pid
		return b, nil
	}
	n := s.next.Add(1)
	var sl *slot
	if len(s.parents) > 0 {
		mem := spec.MemoryMB
		if mem <= 0 {
			mem = 128
		}
		var err error
		if sl, err = s.takeSlot(); err != nil {
			return nil, err
		}
		b.cg = sl.cg
		if err := b.cg.limit(mem, s.cfg.PidsMax, s.host.Memsw); err != nil {
			sl.discard()
			return nil, err
		}
	}
	attr := cmd.SysProcAttr
	attr.Pdeathsig = 0
	uid := uint32(s.cfg.UIDBase + int(n%uint64(s.cfg.UIDCount)))
	attr.Credential = &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}
	if s.host.Namespaces {
		attr.Cloneflags |= unix.CLONE_NEWPID
	}
	if b.cg != nil && b.cg.v2 {
		attr.UseCgroupFD = true
		attr.CgroupFD = b.cg.fd
	}
	tmp := spec.TmpMB
	if tmp <= 0 {
		tmp = s.cfg.TmpMB
	}
	v := view{tmpMB: tmp, uid: uid}
	var err error
	if s.root != nil {
		if err = s.prepareRoot(cmd.Path, &v); err != nil {
			if sl != nil {
				sl.discard()
			}
			return nil, err
		}
		b.user = &uid
	}
	for _, d := range []struct {
		in  string
		out *string
	}{{spec.Code, &v.code}, {spec.Runtime, &v.runtime}} {
		if d.in == "" {
			continue
		}
		if *d.out, err = filepath.Abs(d.in); err != nil {
			if sl != nil {
				sl.discard()
			}
			b.removeUser()
			return nil, fmt.Errorf("sandbox: bind %q: %w", d.in, err)
		}
	}
	if s.scratch != nil {
		if v.scratch, err = s.scratch.take(tmp); err != nil {
			// As before disk-backed /tmp existed: better than no instance.
			s.log.Warn("sandbox: no disk-backed /tmp for this instance: a tmpfs instead", "err", err)
		} else {
			b.tmp.mb, b.tmp.loop = v.scratch.mb, v.scratch.loop
		}
	}
	fail := func() {
		if sl != nil {
			sl.discard()
		}
		v.scratch.close()
		b.closeStem()
		b.removeUser()
	}
	if spec.NoNetwork && !s.host.Namespaces {
		fail()
		return nil, errors.New("sandbox: the function asks for no network, but this host cannot create network namespaces: " + s.Report())
	}
	if !spec.NoNetwork && s.net != nil {
		// Never the host's network instead: the start fails.
		if b.net, err = s.net.take(); err != nil {
			fail()
			return nil, err
		}
	}
	if spec.Stem && s.host.Namespaces {
		if b.stem, err = s.stemDir(n); err != nil {
			fail()
			b.releaseNet(false)
			return nil, err
		}
		v.stem = b.stem
	}
	job := func() error { return s.spawn(cmd, b, v, spec.NoNetwork) }
	if sl != nil {
		err = sl.run(job)
	} else {
		err = onThrowawayThread(job)
	}
	if err != nil {
		if sl != nil {
			sl.cg.remove() // the slot's thread has exited
		}
		v.scratch.close()
		b.releaseTmp()
		b.releaseNet(false)
		b.closeStem()
		b.removeUser()
		return nil, err
	}
	b.pid = cmd.Process.Pid
	if b.cg != nil {
		b.oomBase = b.cg.oomKills()
		s.live.Add(1)
	}
	return b, nil
}

// unavailable says why the sandbox runs plain processes.
func (s *Sandbox) unavailable() string {
	if s.cfg.Disable {
		return "disabled (serve --no-sandbox)"
	}
	return "unavailable: " + s.Report()
}

// onThrowawayThread runs f on an OS thread that exits afterwards: f may
// change the thread's cgroup, namespaces, credentials and privileges.
func onThrowawayThread(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread exits with this goroutine.
		goruntime.LockOSThread()
		if unix.Gettid() == pid {
			// The main thread cannot exit: Go would park it for good,
			// still carrying the instance's state. Hold it (so that the
			// next goroutine cannot run on it), use another, let it go.
			errc <- onThrowawayThread(f)
			goruntime.UnlockOSThread()
			return
		}
		errc <- f()
	}()
	return <-errc
}

var pid = os.Getpid()

// spawn runs on its own throwaway thread.
// The thread is already in the instance's cgroup (see slot).
// closeListeners closes the listeners into the instance's network.
func (b *Box) closeListeners() {
	for _, ln := range []*net.Listener{&b.Listener, &b.EndpointListener} {
		if *ln != nil {
			(*ln).Close()
			*ln = nil
		}
	}
}

func (s *Sandbox) spawn(cmd *exec.Cmd, b *Box, v view, noNet bool) error {
	if s.host.Namespaces {
		var err error
		if b.tmp.root, err = s.setupNamespaces(v); err != nil {
			return err
		}
	}
	if noNet {
		api, endpoint, err := isolateNetwork()
		if err != nil {
			return err
		}
		b.Listener, b.EndpointListener = api, endpoint
	} else if b.net != nil {
		if err := unix.Setns(b.net.ns, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("sandbox: enter the instance's network namespace: %w", err)
		}
		b.Listener, b.EndpointListener = b.net.api, b.net.endpoint
	}
	if err := dropPrivileges(); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		b.closeListeners()
		return err
	}
	if err := s.limitFiles(cmd.Process.Pid, cmd.SysProcAttr.Credential); err != nil {
		b.closeListeners()
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	return nil
}

// limitFiles sets the child's rlimits from the spawning thread. Rlimits are
// per process in Linux, so they cannot be set on the thread before the fork,
// and the platform may lack CAP_SYS_RESOURCE to prlimit another user's
// process. Credentials are per thread to the kernel, though: the thread
// (which exits afterwards) takes the child's uid and gid with raw syscalls
// (the libc-style wrappers would change every thread), and lowering the
// limits of a process of one's own uid needs no capability. The child has
// just exec'd its runtime: far too early for it to have opened many files.
func (s *Sandbox) limitFiles(pid int, cred *syscall.Credential) error {
	if cred != nil {
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(cred.Gid), uintptr(cred.Gid), uintptr(cred.Gid)); e != 0 {
			return fmt.Errorf("sandbox: thread gid: %w", e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(cred.Uid), uintptr(cred.Uid), uintptr(cred.Uid)); e != 0 {
			return fmt.Errorf("sandbox: thread uid: %w", e)
		}
	}
	for _, l := range []struct {
		res int
		val uint64
	}{{unix.RLIMIT_NOFILE, s.cfg.NoFile}, {unix.RLIMIT_CORE, 0}} {
		rl := unix.Rlimit{Cur: l.val, Max: l.val}
		if err := unix.Prlimit(pid, l.res, &rl, nil); err != nil {
			return fmt.Errorf("sandbox: rlimit %d of pid %d: %w", l.res, pid, err)
		}
	}
	return nil
}

// Pid is the instance process's pid (in the platform's PID namespace).
func (b *Box) Pid() int { return b.pid }

// Kill SIGKILLs everything in the instance's cgroup. The caller kills the
// process itself while it knows its pid is not reused: the process is pid 1
// of its own PID namespace, so the kernel then kills everything else in it.
func (b *Box) Kill() {
	if b.cg != nil {
		b.cg.kill()
	}
}

// OOMKilled reports whether the kernel killed a process of the instance
// for lack of memory since it started.
func (b *Box) OOMKilled() bool {
	return b.cg != nil && b.cg.oomKills() > b.oomBase
}

// PeakMB is the instance's peak memory use from its cgroup, in MB rounded
// up, and whether it is known.
func (b *Box) PeakMB() (int, bool) {
	if b.cg == nil {
		return 0, false
	}
	p := b.cg.peakBytes()
	if p <= 0 {
		return 0, false
	}
	return int((p + 1<<20 - 1) >> 20), true
}

// Background puts the instance's CPU group in the background (on: the
// kernel's cpu.idle, or a tiny weight where that is missing) or back (off).
// The process runtime does so once an invocation has kept a CPU busy for a
// while: a long computation then yields the CPU to short calls whenever
// both want it, so a spinning neighbour cannot stretch another function's
// latency; on a CPU nothing else wants it still runs at full speed (its
// quota does not change). The price: on a saturated host, long calls get
// what short ones leave.
func (b *Box) Background(on bool) error {
	if b.cg == nil {
		return nil
	}
	return b.cg.background(on)
}

// Limited reports whether the instance runs under cgroup limits.
func (b *Box) Limited() bool { return b.cg != nil }

// Close kills what is left of the instance and removes its cgroup. Call it
// after the process was reaped.
func (b *Box) Close() error {
	b.closeOnce.Do(func() {
		b.closeListeners() // if the caller did not
		if b.cg != nil {
			b.cg.kill()
			if b.closeErr = b.cg.remove(); b.closeErr == nil {
				b.s.live.Add(-1)
			}
		}
		b.releaseTmp()
		// Reused only when no process of the instance can be left in it.
		b.releaseNet(b.cg != nil && b.closeErr == nil)
		if err := b.closeStem(); err != nil && b.closeErr == nil {
			b.closeErr = err
		}
		b.removeUser()
	})
	return b.closeErr
}

// releaseTmp hands the instance's disk-backed /tmp back to the pool, to
// be emptied and reused or released (scratch.go).
func (b *Box) releaseTmp() {
	if b.tmp.root >= 0 {
		b.s.scratch.give(b.tmp)
		b.tmp.root = -1
	}
}

// releaseNet hands the instance's network namespace back: to be reset and
// reused if reusable, else let go.
func (b *Box) releaseNet(reusable bool) {
	if b.net != nil {
		b.s.net.give(b.net, reusable)
		b.net = nil
	}
}

// prepareRoot readies the minimal root for an instance of exe running as
// v.uid: the host's /etc changes, its passwd and group, the extra dir its
// executable needs.
func (s *Sandbox) prepareRoot(exe string, v *view) error {
	if err := s.root.refreshEtc(); err != nil {
		// A stale resolv.conf or hosts: not worth failing a start for.
		s.log.Warn("sandbox: minimal root /etc not refreshed", "err", err)
	}
	var err error
	if v.extra, err = s.root.extraFor(exe); err != nil {
		return err
	}
	return s.root.addUser(v.uid)
}

// removeUser removes the instance's passwd and group (rootfs.go).
func (b *Box) removeUser() {
	if b.user != nil {
		b.s.root.removeUser(*b.user)
		b.user = nil
	}
}
