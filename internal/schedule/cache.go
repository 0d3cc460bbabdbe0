package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The cache keeps every schedule's definition and firing state in memory,
// fed by watches on both buckets (changes made on any node) and by this
// node's own reads and writes. It only picks the schedules a scan looks
// at: those with a tick due or a claim to take over. Firing itself reads
// both records afresh and writes by compare-and-set, so a stale cache
// costs a read, never a wrong fire.

type cached struct {
	def    *Schedule // nil: deleted
	defRev uint64
	st     fireState
	stRev  uint64
	// Memo of the next due time for (defRev, stRev).
	memoDef, memoSt uint64
	due             time.Time
	never           bool
}

type cache struct {
	mu sync.Mutex
	m  map[string]*cached
}

func (c *cache) entry(k string) *cached {
	if c.m == nil {
		c.m = map[string]*cached{}
	}
	e := c.m[k]
	if e == nil {
		e = &cached{}
		c.m[k] = e
	}
	return e
}

// putDef records a definition at rev (nil: deleted) unless newer is known.
func (c *cache) putDef(k string, def *Schedule, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(k)
	if rev < e.defRev {
		return
	}
	if def != nil {
		cp := *def // the cache's own copy: Validate fills in defaults
		def = &cp
	}
	e.def, e.defRev = def, rev
	if def == nil && e.stRev == 0 {
		delete(c.m, k)
	}
}

// forget drops k (a schedule found deleted).
func (c *cache) forget(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// putState records a firing state at rev unless newer is known.
func (c *cache) putState(k string, st fireState, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entry(k)
	if rev < e.stRev {
		return
	}
	e.st, e.stRev = st, rev
	if e.def == nil && len(st.Pending) == 0 && st.Last.IsZero() {
		delete(c.m, k) // both records gone: a deleted schedule
	}
}

// watch feeds the cache from the buckets until wctx ends; it returns once
// the current values are in (or ctx ends first).
func (s *Service) watch(ctx, wctx context.Context) error {
	for _, w := range []struct {
		kv  jetstream.KeyValue
		put func(jetstream.KeyValueEntry)
	}{{s.defs, s.watchedDef}, {s.state, s.watchedState}} {
		kw, err := w.kv.WatchAll(wctx)
		if err != nil {
			return fmt.Errorf("schedule: watch: %w", err)
		}
		ready := make(chan struct{})
		s.watchers.Add(1)
		go func() {
			defer s.watchers.Done()
			defer func() { _ = kw.Stop() }()
			initial := true
			for {
				select {
				case <-wctx.Done():
					return
				case e, ok := <-kw.Updates():
					if !ok {
						return
					}
					if e == nil {
						if initial {
							initial = false
							close(ready)
						}
						continue
					}
					w.put(e)
				}
			}
		}()
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *Service) watchedDef(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		s.cache.putDef(e.Key(), nil, e.Revision())
		return
	}
	var sc Schedule
	if err := json.Unmarshal(e.Value(), &sc); err != nil {
		s.log.Warn("a schedule definition does not decode; it is skipped", "key", e.Key(), "err", err)
		return
	}
	s.cache.putDef(e.Key(), &sc, e.Revision())
}

func (s *Service) watchedState(e jetstream.KeyValueEntry) {
	var st fireState
	if e.Operation() == jetstream.KeyValuePut {
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			s.log.Warn("a schedule state does not decode; it is skipped", "key", e.Key(), "err", err)
			return
		}
	}
	s.cache.putState(e.Key(), st, e.Revision())
}

// candidates are the keys a scan at now looks at, in order.
func (s *Service) candidates(now time.Time) []string {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k, e := range c.m {
		if e.def == nil {
			continue
		}
		if len(e.st.Pending) > 0 {
			if !now.Before(e.st.LeaseUntil) {
				out = append(out, k)
			}
			continue
		}
		if e.def.State != StateEnabled {
			continue
		}
		if e.memoDef != e.defRev || e.memoSt != e.stRev {
			e.memoDef, e.memoSt = e.defRev, e.stRev
			e.due, e.never = nextDue(k, e.def, e.st)
		}
		if !e.never && !now.Before(e.due) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// nextDue is when a schedule next has something to do: its next tick
// (with its flexible delay), or at once for a one-time schedule that
// fired but is not marked completed; never when nothing remains.
func nextDue(k string, sc *Schedule, st fireState) (time.Time, bool) {
	e, loc, err := sc.Validate()
	if err != nil {
		return time.Time{}, true
	}
	if e.Kind == KindAt && !st.Last.IsZero() {
		return time.Time{}, false
	}
	ticks := upcoming(sc, e, loc, st, 1)
	if len(ticks) == 0 {
		return time.Time{}, true
	}
	tenant, _ := splitKey(k)
	return ticks[0].Add(flexDelay(tenant, sc, ticks[0])), false
}
