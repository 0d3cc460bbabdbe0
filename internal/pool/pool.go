package pool

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// Config tunes the pool.
type Config struct {
	KeepAlive time.Duration // idle instances stop after this long
	// MaxInstances caps each function version's instances (starting and
	// running); 0: no cap, calls are bounded by admission and capacity.
	MaxInstances int
	// CapacityMB is the memory the host gives functions: the sum of the
	// memory sizes of all instances (starting, idle, busy) stays within
	// it. An instance that does not fit first evicts idle ones; a call
	// that still cannot have one fails with ErrNoCapacity at its
	// deadline. 0: no limit.
	CapacityMB int
	Metrics    *metrics.Metrics
	// Policy decides keep-alive and pre-warm windows per function; nil:
	// a fixed KeepAlive.
	Policy Policy
	// IdleBudgetMB caps the memory of idle instances; over it the reaper
	// evicts by Greedy-Dual priority. 0: no budget.
	IdleBudgetMB int
	// MaxAge retires an instance once it is this old, when it is next
	// idle (a provisioned one is replaced): its session credentials last
	// a bounded time, as on Lambda. 0: no limit.
	MaxAge time.Duration
	Log    *slog.Logger
}

// SpecFunc produces the spec of a version's instance. It is called only when
// an instance must start (it may unpack code), outside the pool's lock.
type SpecFunc func(ctx context.Context) (runtime.Spec, error)

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("pool: closed")

// Pool holds instance groups keyed by function version.
type Pool struct {
	cfg Config
	rt  runtime.Runtime
	now func() time.Time

	mu     sync.Mutex
	groups map[string]*group
	closed bool
	// retiring are retired groups whose busy instances still hold memory.
	retiring []*group
	// starved are groups with callers waiting for memory to start an
	// instance.
	starved []*group
	gd      greedyDual

	ctx    context.Context // cancelled by Close; bounds instance starts
	cancel context.CancelFunc
	wg     sync.WaitGroup // start goroutines and the reaper
}

// group is one function version's instances.
type group struct {
	key      string
	owner    string // function identity, for Retire
	spec     SpecFunc
	idle     []*member // LIFO: the end is the most recently used
	total    int       // starting + idle + busy
	starting int
	waiters  []*waiter // FIFO
	retired  bool
	memMB    int // memory of each instance, for the host capacity
	starved  bool
	prov     provision
	warm     prewarm
	calls    int64 // acquisitions, the Greedy-Dual frequency
}

type member struct {
	inst     runtime.Instance
	g        *group
	lastUsed time.Time
	fresh    bool // never invoked yet: its first call is a cold start
	pinned   bool // provisioned: never reaped, replaced when it dies
	memMB    int
	expires  time.Time // a pre-warmed instance not used yet stops then
	gdClock  float64   // the Greedy-Dual clock when it became idle
	born     time.Time // when it started, for MaxAge
}

type waiter struct {
	ch chan grant // buffered 1; receives exactly one grant
}

type grant struct {
	m   *member
	err error
}

// Lease is an instance held by one invocation until Release.
type Lease struct {
	m    *member
	Cold bool // the instance was started for this pool and not used before
}

// Instance is the leased runtime instance.
func (l *Lease) Instance() runtime.Instance { return l.m.inst }

// New builds a pool over rt.
func New(cfg Config, rt runtime.Runtime) (*Pool, error) {
	if cfg.MaxInstances < 0 || cfg.CapacityMB < 0 {
		return nil, errors.New("pool: MaxInstances and CapacityMB must not be negative")
	}
	if cfg.KeepAlive <= 0 {
		return nil, errors.New("pool: KeepAlive must be positive")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Pool{cfg: cfg, rt: rt, now: time.Now, groups: map[string]*group{}, ctx: ctx, cancel: cancel}, nil
}

// Start runs the keep-alive reaper.
func (p *Pool) Start(ctx context.Context) error {
	interval := p.cfg.KeepAlive / 10
	interval = max(min(interval, time.Second), 10*time.Millisecond)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.ctx.Done():
				return
			case <-t.C:
				p.reap()
			}
		}
	}()
	return nil
}

// Want is what one call asks of the pool.
type Want struct {
	Key      string // the function version: instances are interchangeable within it
	Owner    string // the function, for Retire and the keep-alive policy
	MemoryMB int    // each instance's memory, counted against CapacityMB
	Spec     SpecFunc
	// Deadline bounds a wait for host capacity: a call that finds no
	// idle instance and no room to start one fails with ErrNoCapacity
	// then. Zero: it waits as long as ctx allows. A call whose instance
	// is starting always waits for it.
	Deadline time.Time
}

// ErrNoCapacity is returned when the host's memory for functions is taken
// by busy instances until the call's deadline.
var ErrNoCapacity = errors.New("pool: no host capacity for another instance")

// Acquire returns an instance of the version key, starting one when none is
// idle. It waits until ctx is done; owner names the function (for Retire).
func (p *Pool) Acquire(ctx context.Context, key, owner string, spec SpecFunc) (*Lease, error) {
	return p.AcquireWant(ctx, Want{Key: key, Owner: owner, Spec: spec})
}

// AcquireWant is Acquire with a memory size and a capacity deadline.
func (p *Pool) AcquireWant(ctx context.Context, w Want) (*Lease, error) {
	p.arrival(w.Owner)
	l, err := p.acquire(ctx, w)
	if err != nil {
		p.done(w.Owner) // the call ends here: Release will not be called
	}
	return l, err
}

func (p *Pool) acquire(ctx context.Context, want Want) (*Lease, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	g := p.groups[want.Key]
	if g == nil {
		g = &group{key: want.Key, owner: want.Owner, spec: want.Spec}
		p.groups[want.Key] = g
	}
	g.memMB = want.MemoryMB
	g.calls++
	var dead []*member
	for n := len(g.idle); n > 0; n = len(g.idle) {
		m := g.idle[n-1]
		g.idle[n-1] = nil
		g.idle = g.idle[:n-1]
		if !alive(m.inst) || p.tooOld(m, p.now()) {
			g.total--
			p.unpin(g, m)
			dead = append(dead, m)
			continue
		}
		p.mu.Unlock()
		closeAll(dead)
		return p.lease(m), nil
	}
	w := &waiter{ch: make(chan grant, 1)}
	g.waiters = append(g.waiters, w)
	evicted := p.scale(g, nil)
	p.mu.Unlock()
	closeAll(dead)
	closeAll(evicted)

	var expired <-chan time.Time
	var wait time.Duration
	if !want.Deadline.IsZero() {
		wait = max(time.Until(want.Deadline), time.Millisecond)
		t := time.NewTimer(wait)
		defer t.Stop()
		expired = t.C
	}
	var err error
wait:
	for {
		select {
		case gr := <-w.ch:
			if gr.err != nil {
				return nil, gr.err
			}
			return p.lease(gr.m), nil
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-expired:
			expired = nil
			p.mu.Lock()
			// Only a call without a start under way for it gives up: the
			// instances starting are each some waiter's. While its version
			// is still starting instances (a burst ramping up on the memory
			// it has), it waits one more bound: those instances serve the
			// queue as soon as they are up.
			starved := len(g.waiters) > g.starting
			ramping := g.starting > 0
			p.mu.Unlock()
			switch {
			case starved && ramping:
				t := time.NewTimer(wait)
				defer t.Stop()
				expired = t.C
			case starved:
				err = ErrNoCapacity
				break wait
			}
		}
	}
	p.mu.Lock()
	if removeWaiter(g, w) {
		p.mu.Unlock()
		return nil, err
	}
	p.mu.Unlock()
	// A grant raced with the cancellation: give the instance back.
	if gr := <-w.ch; gr.m != nil {
		p.Release(&Lease{m: gr.m}, false)
	}
	return nil, err
}

// tooOld reports whether m has passed Config.MaxAge.
func (p *Pool) tooOld(m *member, now time.Time) bool {
	return p.cfg.MaxAge > 0 && !m.born.IsZero() && now.Sub(m.born) > p.cfg.MaxAge
}

func (p *Pool) lease(m *member) *Lease {
	l := &Lease{m: m, Cold: m.fresh}
	m.fresh = false
	m.expires = time.Time{}
	return l
}

// alive asks an instance that can tell whether it is still running.
func alive(inst runtime.Instance) bool {
	if a, ok := inst.(interface{ Alive() bool }); ok {
		return a.Alive()
	}
	return true
}

func removeWaiter(g *group, w *waiter) bool {
	for i, x := range g.waiters {
		if x == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// scale starts instances while waiters outnumber the starts under way, the
// cap allows and the host has room, evicting idle instances of other
// versions to make room; it returns them (append to evicted) for the caller
// to close outside the lock. A group left without room is starved until
// memory frees. Called with p.mu held.
func (p *Pool) scale(g *group, evicted []*member) []*member {
	for len(g.waiters) > g.starting && !g.retired && !p.closed {
		if p.cfg.MaxInstances > 0 && g.total >= p.cfg.MaxInstances {
			break
		}
		var ok bool
		if evicted, ok = p.makeRoom(g.memMB, evicted); !ok {
			p.starve(g)
			break
		}
		g.total++
		g.starting++
		p.wg.Add(1)
		go p.start(g)
	}
	return evicted
}

func (p *Pool) start(g *group) {
	defer p.wg.Done()
	var inst runtime.Instance
	spec, err := g.spec(p.ctx)
	if err == nil {
		inst, err = p.rt.NewInstance(p.ctx, spec)
	}
	p.mu.Lock()
	g.starting--
	if err != nil {
		g.total--
		if len(g.waiters) > 0 {
			w := g.waiters[0]
			g.waiters = g.waiters[1:]
			w.ch <- grant{err: err}
		}
		evicted := p.scale(g, nil)
		evicted = p.feedStarved(evicted)
		p.mu.Unlock()
		closeAll(evicted)
		return
	}
	p.cfg.Metrics.InstanceStarted()
	m := &member{inst: inst, g: g, fresh: true, memMB: spec.MemoryMB, born: p.now()}
	if len(g.waiters) == 0 && !g.warm.expires.IsZero() {
		// Pre-warmed: its init ran off any call's path, so its first
		// call is warm.
		m.expires, m.fresh = g.warm.expires, false
		g.warm.expires = time.Time{}
	}
	if g.retired || p.closed {
		p.cfg.Metrics.InstancesStopped("retired", 1)
		g.total--
		evicted := p.feedStarved(nil)
		p.mu.Unlock()
		_ = inst.Close(context.Background())
		closeAll(evicted)
		return
	}
	p.handOff(g, m)
	evicted := p.feedStarved(nil)
	p.mu.Unlock()
	closeAll(evicted)
}

// handOff gives m to the oldest waiter, or parks it idle. p.mu held.
func (p *Pool) handOff(g *group, m *member) {
	m.lastUsed = p.now()
	m.gdClock = p.gd.clock
	if len(g.waiters) > 0 {
		w := g.waiters[0]
		g.waiters[0] = nil
		g.waiters = g.waiters[1:]
		w.ch <- grant{m: m}
		return
	}
	g.idle = append(g.idle, m)
}

// Release returns a leased instance. A broken instance (timed out, crashed)
// is closed and, if callers are waiting, replaced.
func (p *Pool) Release(l *Lease, broken bool) {
	m := l.m
	g := m.g
	p.done(g.owner)
	p.mu.Lock()
	if broken || g.retired || p.closed {
		g.total--
		p.unpin(g, m)
		evicted := p.scale(g, nil)
		evicted = p.feedStarved(evicted)
		p.mu.Unlock()
		p.cfg.Metrics.InstancesStopped("released", 1)
		_ = m.inst.Close(context.Background())
		closeAll(evicted)
		return
	}
	p.handOff(g, m)
	evicted := p.feedStarved(nil)
	p.mu.Unlock()
	closeAll(evicted)
}

func closeAll(ms []*member) {
	for _, m := range ms {
		_ = m.inst.Close(context.Background())
	}
}

// reap stops idle instances the keep-alive policy lets go, pre-warms
// functions whose pre-warm window opened, replaces dead provisioned
// instances, and enforces the idle-memory budget. See policy.go.
func (p *Pool) reap() {
	now := p.now()
	var stop []*member
	p.mu.Lock()
	for key, g := range p.groups {
		stop = p.reapGroup(g, now, stop)
		p.topUp(g)
		if g.total == 0 && len(g.waiters) == 0 && g.prov.target == 0 && g.warm.at.IsZero() {
			delete(p.groups, key)
		}
	}
	expired := len(stop)
	stop = p.evictOverBudget(stop)
	stop = p.feedStarved(stop)
	p.mu.Unlock()
	if len(stop) > 0 {
		p.cfg.Log.Debug("idle instances stopped", "expired", expired, "evicted", len(stop)-expired)
	}
	p.cfg.Metrics.InstancesStopped("idle", expired)
	closeAll(stop)
}

// Stats counts a version's instances.
type Stats struct {
	Key      string `json:"key"`
	Idle     int    `json:"idle"`
	Busy     int    `json:"busy"`
	Starting int    `json:"starting"`
	Waiting  int    `json:"waiting"`
	// Provisioned counts the pinned (provisioned-concurrency) instances
	// among the others.
	Provisioned int `json:"provisioned"`
}

// Stats reports every group, for visibility and tests.
func (p *Pool) Stats() []Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Stats, 0, len(p.groups))
	for _, g := range p.groups {
		out = append(out, Stats{Key: g.key, Idle: len(g.idle), Busy: g.total - len(g.idle) - g.starting, Starting: g.starting, Waiting: len(g.waiters), Provisioned: g.prov.pinned - g.prov.starting})
	}
	return out
}

// Close stops the reaper, aborts starts under way and stops every idle
// instance. Leases still out are closed when released.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	var stop []*member
	for _, g := range p.groups {
		stop = append(stop, g.idle...)
		g.total -= len(g.idle)
		g.idle = nil
		for _, w := range g.waiters {
			w.ch <- grant{err: ErrClosed}
		}
		g.waiters = nil
	}
	p.mu.Unlock()
	p.cancel()
	closeAll(stop)
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
