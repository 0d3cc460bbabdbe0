package sandbox

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
)

// Config configures a Sandbox. The zero value runs on one machine.
type Config struct {
	// HideDirs are replaced by an empty directory in every instance's view,
	// e.g. the platform's data dir (its store, keys and every function's
	// code). Dirs an instance needs are bound back read-only (Spec.Binds).
	HideDirs []string
	// TmpMB is the default size of an instance's /tmp (and /dev/shm).
	// Default 512, like Lambda's ephemeral storage.
	TmpMB int
	// PidsMax caps the tasks (processes and threads) of one instance.
	// Default 1024.
	PidsMax int
	// NoFile is the open-files limit of an instance. Default 1024.
	NoFile uint64
	// UIDBase is the first uid (and gid) of the range instances run as,
	// one per instance; UIDCount is the range's size. Defaults 200000 and
	// 65536.
	UIDBase, UIDCount int
	// WarmSlots is how many cgroups, each with a thread already in it,
	// are kept ready for the next cold starts (cgroup v1). Default 4.
	WarmSlots int
	// StemDir holds the task roots of stem instances (Spec.Stem), under a
	// hidden dir such as the data dir. Empty: no stem instances.
	StemDir string
	// ScratchDir holds the (unnamed, sparse) images of the instances'
	// disk-backed /tmp filesystems (scratch.go), on a disk, under a hidden
	// dir such as the data dir. Empty: /tmp is a tmpfs, which counts
	// against the instance's memory, and Warnings says so.
	ScratchDir string
	// HostNetwork lets instances share the host's network (serve
	// --instance-network host). By default each gets a namespace of its
	// own with outbound NAT and no way to the host or other instances
	// (netpool.go); a host that cannot do it keeps the host's network and
	// Warnings says so.
	HostNetwork bool
	// Disable turns the sandbox off: instances run as plain processes.
	Disable bool
	Log     *slog.Logger
}

// Defaults.
const (
	DefaultTmpMB   = 512
	MaxTmpMB       = 10240
	DefaultPidsMax = 1024
	DefaultNoFile  = 1024
	defaultUIDBase = 200000
	defaultUIDs    = 65536
)

// Sandbox contains instances. It is safe for concurrent use.
type Sandbox struct {
	cfg      Config
	log      *slog.Logger
	host     Host
	parents  map[string]string // controller → the platform's cgroup for instances
	next     atomic.Uint64     // instance counter: uids
	cgSeq    atomic.Uint64     // cgroup names
	live     atomic.Int64      // see Live
	warnings []string
	stemRoot string       // Config.StemDir, shared; "" when stems are unavailable
	stemErr  string       // why they are
	scratch  *scratchPool // nil: /tmp is a tmpfs
	remap    bool         // code at TaskRoot, runtime at RuntimeRoot
	root     *rootPlan    // the instances' minimal root; nil: the host's, read-only
	net      *netPool     // ready network namespaces; nil: the host's network

	slots      chan *slot    // ready cgroups with a thread in each (v1)
	want       chan struct{} // cap 1: wake refill
	stop       chan struct{}
	refillDone chan struct{} // nil when refill does not run
}

// New detects what the host offers, creates the platform's parent cgroup
// and removes cgroups left behind by platform processes that are gone.
func New(cfg Config) (*Sandbox, error) {
	if cfg.TmpMB <= 0 {
		cfg.TmpMB = DefaultTmpMB
	}
	if cfg.PidsMax <= 0 {
		cfg.PidsMax = DefaultPidsMax
	}
	if cfg.NoFile == 0 {
		cfg.NoFile = DefaultNoFile
	}
	if cfg.UIDBase <= 0 {
		cfg.UIDBase = defaultUIDBase
	}
	if cfg.WarmSlots <= 0 {
		cfg.WarmSlots = 4
	}
	if cfg.UIDCount <= 0 {
		cfg.UIDCount = defaultUIDs
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	for i, d := range cfg.HideDirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("sandbox: hidden dir %q: %w", d, err)
		}
		cfg.HideDirs[i] = abs
	}
	s := &Sandbox{cfg: cfg, log: cfg.Log.With("component", "sandbox"), parents: map[string]string{},
		slots: make(chan *slot, cfg.WarmSlots), want: make(chan struct{}, 1), stop: make(chan struct{})}
	if cfg.Disable {
		s.warnings = []string{"the sandbox is disabled by configuration: no limit or isolation is enforced"}
		return s, nil
	}
	// Instances take uids in turn from a random point of the range, so
	// that two platforms on one host (or one restarted while its old
	// instances die) rarely hand out the same uid at once.
	var r [4]byte
	rand.Read(r[:])
	s.next.Store(uint64(binary.LittleEndian.Uint32(r[:])) % uint64(cfg.UIDCount))
	s.host = detectHost()
	if err := s.makeParents(); err != nil {
		s.parents = map[string]string{}
		s.log.Warn("sandbox: cgroups unusable", "err", err)
	}
	s.warnings = s.missing()
	if s.host.Namespaces {
		if err := makeMountPoints(); err != nil {
			s.warnings = append(s.warnings, fmt.Sprintf("cannot create the mount points %s and %s (%v): functions see their code and runtime client at the platform's paths", TaskRoot, RuntimeRoot, err))
		} else {
			s.remap = true
		}
		if err := s.probeRoot(); err != nil {
			if s.root != nil {
				s.root.close()
			}
			s.root = nil
			s.warnings = append(s.warnings, fmt.Sprintf("cannot build a minimal root for instances (%v): they see the host's files read-only, the hidden dirs covered", err))
		}
		var err error
		if s.scratch, err = newScratchPool(cfg.ScratchDir, cfg.TmpMB, cfg.WarmSlots, s.log); err != nil {
			s.warnings = append(s.warnings, fmt.Sprintf("no disk-backed /tmp (%v): /tmp is a tmpfs whose files count against the function's memory, so ephemeral storage apart from memory is not enforced", err))
		}
		if !cfg.HostNetwork {
			if s.net, err = newNetPool(cfg.WarmSlots, s.log); err != nil {
				s.warnings = append(s.warnings, fmt.Sprintf("no network isolation (%v): instances share the host's network, so isolation from the host's services (loopback included) and from each other is not enforced", err))
			}
		}
	}
	switch {
	case cfg.StemDir == "":
		s.stemErr = "no stem dir configured"
	case !s.host.Namespaces:
		s.stemErr = "no mount namespaces"
	default:
		if err := s.setupStemRoot(); err != nil {
			s.stemErr = err.Error()
			s.log.Warn("sandbox: stem cells unavailable", "err", err)
		}
	}
	if len(s.parents) > 0 && !s.host.V2 {
		s.refillDone = make(chan struct{})
		go s.refill()
		s.want <- struct{}{}
	}
	return s, nil
}

// sandboxes numbers the Sandboxes of this process.
var sandboxes atomic.Uint64

// makeParents creates updraft-<pid>-<n> under the platform's own cgroup in
// each controller and sweeps the ones of dead platform processes.
func (s *Sandbox) makeParents() error {
	// One process may hold several sandboxes (tests do): each gets its own.
	name := "updraft-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(sandboxes.Add(1), 10)
	for c, own := range s.host.Controllers {
		sweepStale(own)
		dir := filepath.Join(own, name)
		if s.host.V2 {
			// Children get the controllers only through subtree_control;
			// the own cgroup must not hold processes for that (v2's
			// no-internal-processes rule), which fails with EBUSY.
			if err := os.WriteFile(filepath.Join(own, "cgroup.subtree_control"), []byte("+"+c), 0); err != nil {
				return fmt.Errorf("enable %s for children of %s: %w", c, own, err)
			}
		}
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		if s.host.V2 {
			if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+"+c), 0); err != nil {
				return fmt.Errorf("enable %s in %s: %w", c, dir, err)
			}
		}
		s.parents[c] = dir
	}
	return nil
}

// sweepStale kills and removes updraft-<pid>[-<n>] cgroups under own whose
// platform process no longer exists.
func sweepStale(own string) {
	ents, _ := os.ReadDir(own)
	for _, e := range ents {
		p, ok := strings.CutPrefix(e.Name(), "updraft-")
		p, _, _ = strings.Cut(p, "-") // updraft-<pid>-<n>, or updraft-<pid> before
		pid, err := strconv.Atoi(p)
		if !ok || err != nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue
		}
		dir := filepath.Join(own, e.Name())
		kids, _ := os.ReadDir(dir)
		for _, k := range kids {
			if k.IsDir() {
				cg := &cgroup{dirs: map[string]string{"pids": filepath.Join(dir, k.Name())}, fd: -1}
				cg.kill()
				cg.remove()
			}
		}
		os.Remove(dir)
	}
}

// missing lists what the host lacks and which limits are therefore not
// enforced.
func (s *Sandbox) missing() []string {
	h := s.host
	var w []string
	if !h.Root {
		return []string{"not running as root: no cgroups, namespaces or user switch, so network isolation, memory, CPU and process-count limits, the /tmp size cap, the read-only code view, the hidden data dir and the unprivileged user are not enforced"}
	}
	for _, c := range controllers {
		if _, ok := s.parents[c]; ok {
			continue
		}
		what := map[string]string{"memory": "memory limit and out-of-memory detection", "cpu": "CPU share and quota", "pids": "process-count limit (fork bombs)"}[c]
		w = append(w, fmt.Sprintf("no usable %s cgroup controller (cgroup mode %s): the %s are not enforced", c, h.CgroupMode, what))
	}
	if _, ok := s.parents["memory"]; ok && !h.Memsw {
		w = append(w, "no memory.memsw (swap accounting): a function may exceed its memory limit into swap")
	}
	if !h.Namespaces {
		w = append(w, "cannot create mount/PID/IPC/UTS namespaces: the /tmp size cap, the read-only code view, the hidden data dir, process and network isolation are not enforced")
	}
	return w
}

// TmpMB is the default size of an instance's /tmp.
func (s *Sandbox) TmpMB() int { return s.cfg.TmpMB }

// Remaps reports whether instances see their code at TaskRoot and their
// runtime client at RuntimeRoot (Spec.Code, Spec.Runtime), as on Lambda.
// Without a mount namespace (the sandbox disabled or unavailable) they see
// the platform's own paths.
func (s *Sandbox) Remaps() bool { return s.remap && !s.cfg.Disable && s.host.Root }

// taskRoot is where an instance sees its code dir, runtimeRoot its
// runtime dir.
func (s *Sandbox) taskRoot(dir string) string {
	if s.remap {
		return TaskRoot
	}
	return dir
}

func (s *Sandbox) runtimeRoot(dir string) string {
	if s.remap {
		return RuntimeRoot
	}
	return dir
}

// makeMountPoints creates TaskRoot and RuntimeRoot on the host (empty
// dirs, covered in each instance's mount namespace).
func makeMountPoints() error {
	for _, d := range []string{TaskRoot, RuntimeRoot} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// IsolatesNetwork reports whether every instance gets a network namespace
// of its own (Spec.NoNetwork or not): it then finds the Runtime API at
// RuntimeAPIAddr and the platform's endpoint at EndpointAddr.
func (s *Sandbox) IsolatesNetwork() bool { return s.net != nil }

// Host reports what was detected.
func (s *Sandbox) Host() Host { return s.host }

// Warnings lists what is missing and which limits are not enforced; empty
// when everything is.
func (s *Sandbox) Warnings() []string { return s.warnings }

// Report is one line for the log at start: what is enforced, or the
// warning.
func (s *Sandbox) Report() string {
	if len(s.warnings) == 0 {
		cs := make([]string, 0, len(s.parents))
		for _, c := range controllers {
			if _, ok := s.parents[c]; ok {
				cs = append(cs, c)
			}
		}
		net := "network namespace per instance, outbound only"
		if s.net == nil {
			net = "the host's network (by configuration)"
		}
		return fmt.Sprintf("sandbox: all limits enforced (cgroup %s: %s; mount, PID, IPC, UTS namespaces; %s; a minimal root; one unprivileged uid per instance; /tmp %d MB on disk; pids %d)",
			s.host.CgroupMode, strings.Join(cs, ", "), net, s.cfg.TmpMB, s.cfg.PidsMax)
	}
	return "sandbox: WARNING: " + strings.Join(s.warnings, "; ")
}

// Live counts the instances whose cgroup exists: those running, and any
// whose teardown failed to remove it.
func (s *Sandbox) Live() int { return int(s.live.Load()) }

// Enforced reports whether every limit is enforced.
func (s *Sandbox) Enforced() bool { return len(s.warnings) == 0 }

// Close discards the ready slots and removes the platform's parent
// cgroups (instances must be closed first). Call it once.
func (s *Sandbox) Close() error {
	if s.refillDone != nil {
		close(s.stop)
		<-s.refillDone
	}
	for {
		select {
		case sl := <-s.slots:
			sl.discard()
			continue
		default:
		}
		break
	}
	if s.scratch != nil {
		s.scratch.close()
	}
	if s.root != nil {
		s.root.close()
	}
	errs := []error{s.closeStemRoot()}
	if s.net != nil {
		errs = append(errs, s.net.close())
	}
	for _, d := range s.parents {
		if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("sandbox: remove %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
