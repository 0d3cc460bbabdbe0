package sandbox

import (
	goruntime "runtime"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// A slot is a fresh cgroup and an OS thread that already sits in it,
// parked until it forks one instance. Moving a thread into a v1 cgroup
// waits for an RCU grace period (the cgroup_threadgroup_rwsem writer),
// 5–10 ms on a busy host: the pool pays it ahead of the cold start. On v2
// the child is cloned into its cgroup (UseCgroupFD) and the thread stays
// where it is.
type slot struct {
	cg   *cgroup
	jobs chan func() error // one job, or closed to discard the slot
	res  chan error
}

// newSlot creates a cgroup and a thread in it.
func (s *Sandbox) newSlot() (*slot, error) {
	cg, err := s.newCgroup("i" + strconv.FormatUint(s.cgSeq.Add(1), 10))
	if err != nil {
		return nil, err
	}
	sl := &slot{cg: cg, jobs: make(chan func() error, 1), res: make(chan error, 1)}
	ready := make(chan error, 1)
	go sl.park(ready)
	if err := <-ready; err != nil {
		cg.remove()
		return nil, err
	}
	return sl, nil
}

// park runs on the slot's thread, which is never unlocked: it exits with
// the goroutine, carrying the instance's cgroup, namespaces and
// credentials away.
func (sl *slot) park(ready chan<- error) {
	goruntime.LockOSThread()
	if unix.Gettid() == pid {
		// The main thread cannot exit (see onThrowawayThread): hold it
		// so that the slot's goroutine lands elsewhere, then let it go.
		done := make(chan struct{})
		go func() { sl.park(ready); close(done) }()
		<-done
		goruntime.UnlockOSThread()
		return
	}
	if err := sl.cg.joinThread(); err != nil {
		ready <- err
		return
	}
	ready <- nil
	if f, ok := <-sl.jobs; ok {
		sl.res <- f()
	}
}

// run runs f on the slot's thread and returns its error. The slot is used
// up.
func (sl *slot) run(f func() error) error {
	sl.jobs <- f
	return <-sl.res
}

// discard lets the slot's thread exit and removes its cgroup.
func (sl *slot) discard() {
	close(sl.jobs)
	sl.cg.remove() // retries until the thread has left
}

// takeSlot returns a ready slot, or makes one when the pool is empty, and
// asks for the pool to be refilled.
func (s *Sandbox) takeSlot() (*slot, error) {
	defer func() {
		select {
		case s.want <- struct{}{}:
		default:
		}
	}()
	select {
	case sl := <-s.slots:
		return sl, nil
	default:
		return s.newSlot()
	}
}

// refill keeps the pool of slots full until Close.
func (s *Sandbox) refill() {
	defer close(s.refillDone)
	for {
		select {
		case <-s.stop:
			return
		case <-s.want:
		}
		// In parallel: the kernel lets writers that arrive while one
		// waits for its grace period skip their own.
		var wg sync.WaitGroup
		for range cap(s.slots) - len(s.slots) {
			wg.Go(func() {
				sl, err := s.newSlot()
				if err != nil {
					s.log.Warn("sandbox: prepare a cgroup", "err", err)
					return
				}
				select {
				case s.slots <- sl:
				default:
					sl.discard()
				}
			})
		}
		wg.Wait()
	}
}
