package schedule

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
)

// Firing. Every node scans every Poll. A tick fires once across restarts
// and nodes through the schedule's state in JetStream KV, written by
// compare-and-set on its revision:
//
//  1. claim: state.Pending = the due ticks, state.Last = the latest due
//     tick, Owner = this node, LeaseUntil = now + Lease. Of nodes that
//     race, one wins the revision; the others skip the schedule.
//  2. deliver each pending tick to the asynchronous queue under a request
//     id made from (schedule, tick): the queue stores a repeat within its
//     de-duplication window (5 minutes) once.
//  3. confirm: Pending emptied, Fired counted.
//
// A crash after 1 leaves the claim; once its lease lapses any node (this
// one after a restart) delivers the pending ticks again under the same
// ids. A crash between 2 and 3 therefore repeats no tick within the
// queue's window: at-least-once, de-duplicated.

// fireState is a schedule's firing state.
type fireState struct {
	Last       time.Time   `json:"last,omitzero"` // latest tick fired or skipped
	Pending    []time.Time `json:"pending,omitempty"`
	Owner      string      `json:"owner,omitempty"`
	LeaseUntil time.Time   `json:"lease_until,omitzero"`
	Fired      int64       `json:"fired,omitempty"`
	Skipped    int64       `json:"skipped,omitempty"`
	Dropped    int64       `json:"dropped,omitempty"` // ticks of a function that did not exist
}

// Start runs the firing loop until Close.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("schedule: started twice")
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan struct{})
	go s.loop(lctx)
	return nil
}

// Close stops the loop, waiting for a scan in progress, and the watches.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("schedule: close: %w", ctx.Err())
		}
	}
	s.stopWatch()
	s.watchers.Wait()
	return nil
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		s.scan(ctx, s.cfg.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scan fires the due ticks as of now of the schedules the cache names.
func (s *Service) scan(ctx context.Context, now time.Time) {
	for _, k := range s.candidates(now) {
		if ctx.Err() != nil {
			return
		}
		if err := s.tick(ctx, k, now); err != nil && ctx.Err() == nil {
			tenant, name := splitKey(k)
			s.log.Warn("firing a schedule failed; it is tried again on the next scan", "tenant", tenant, "schedule", name, "err", err)
		}
	}
}

// tick fires one schedule's due ticks.
func (s *Service) tick(ctx context.Context, k string, now time.Time) error {
	tenant, name := splitKey(k)
	sc, err := s.get(ctx, tenant, name)
	if fn.IsNotFound(err) {
		s.cache.forget(k)
		return nil
	} else if err != nil {
		return err
	}
	s.cache.putDef(k, &sc, sc.revision)
	st, rev, err := s.readState(ctx, k)
	if err != nil {
		return err
	}
	s.cache.putState(k, st, rev)
	if len(st.Pending) > 0 {
		// Claimed and not confirmed: a delivery under way (this node's
		// too: its lease is not renewed by anyone but the one delivering),
		// a delivery that failed and released its lease, or a crash.
		if now.Before(st.LeaseUntil) {
			return nil
		}
		st.Owner, st.LeaseUntil = s.cfg.Node, now.Add(s.cfg.Lease)
		if rev, err = s.writeState(ctx, k, st, rev); err != nil {
			return ignoreLost(err)
		}
		return s.deliver(ctx, tenant, &sc, st, rev)
	}
	if sc.State != StateEnabled {
		return nil
	}
	e, loc, err := sc.Validate()
	if err != nil {
		return err
	}
	fire, last, skipped := s.due(tenant, &sc, e, loc, st, now)
	if last.IsZero() {
		if e.Kind == KindAt && !st.Last.IsZero() {
			return s.complete(ctx, tenant, name) // fired before a crash
		}
		return nil
	}
	if skipped > 0 {
		s.log.Warn("schedule missed ticks while no node ran; skipped by its catch-up policy",
			"tenant", tenant, "schedule", name, "catch_up", sc.CatchUp, "skipped", skipped, "firing", len(fire))
	}
	st.Last, st.Pending, st.Skipped = last, fire, st.Skipped+int64(skipped)
	st.Owner, st.LeaseUntil = s.cfg.Node, now.Add(s.cfg.Lease)
	if rev, err = s.writeState(ctx, k, st, rev); err != nil {
		return ignoreLost(err)
	}
	return s.deliver(ctx, tenant, &sc, st, rev)
}

// deliver hands the claimed ticks to the queue and confirms them.
func (s *Service) deliver(ctx context.Context, tenant string, sc *Schedule, st fireState, rev uint64) error {
	gone := false
	if s.cfg.FunctionExists != nil {
		err := s.cfg.FunctionExists(ctx, tenant, sc.Function)
		if err != nil && !fn.IsNotFound(err) {
			return err
		}
		gone = err != nil
	}
	for _, t := range st.Pending {
		if gone {
			// The function was deleted: the tick fails, its failure path
			// went with the function, and the schedule moves on.
			s.log.Warn("schedule's function does not exist: the tick is dropped (delete the schedule, or deploy the function again)",
				"tenant", tenant, "schedule", sc.Name, "fn", sc.Function, "tick", t.UTC())
			st.Dropped++
			continue
		}
		id := TickID(tenant, sc, t)
		payload := []byte(sc.Input)
		if len(payload) == 0 {
			var err error
			payload, err = json.Marshal(event.NewScheduledEvent(event.ScheduledInput{
				ID: id, Account: fn.AccountID(tenant), Region: fn.Region, At: t, ScheduleARN: ARN(tenant, sc.Name),
			}))
			if err != nil {
				return fmt.Errorf("schedule: encode event: %w", err)
			}
		}
		err := s.cfg.Deliver(ctx, Delivery{Tenant: tenant, Function: sc.Function, Qualifier: sc.Qualifier, ID: id, Payload: payload})
		if err != nil {
			// Release the lease: the next scan (of any node) tries again.
			st.LeaseUntil = time.Time{}
			if _, werr := s.writeState(ctx, key(tenant, sc.Name), st, rev); werr != nil && !errors.Is(werr, errLost) {
				err = errors.Join(err, werr)
			}
			return fmt.Errorf("deliver tick %s to %s: %w", t.UTC().Format(time.RFC3339), sc.Function, err)
		}
		s.log.Info("schedule fired", "tenant", tenant, "schedule", sc.Name, "fn", sc.Function, "tick", t.UTC(), "request_id", id)
	}
	if !gone {
		st.Fired += int64(len(st.Pending))
	}
	st.Pending, st.Owner, st.LeaseUntil = nil, "", time.Time{}
	if _, err := s.writeState(ctx, key(tenant, sc.Name), st, rev); err != nil {
		return ignoreLost(err)
	}
	if e, err := Parse(sc.Expression); err == nil && e.Kind == KindAt {
		return s.complete(ctx, tenant, sc.Name)
	}
	return nil
}

// complete marks a one-time schedule that fired COMPLETED.
func (s *Service) complete(ctx context.Context, tenant, name string) error {
	for {
		sc, err := s.get(ctx, tenant, name)
		if err != nil || sc.State != StateEnabled {
			return ignoreNotFound(err)
		}
		sc.State, sc.LastModified = StateCompleted, s.cfg.Now().UTC()
		data, _ := json.Marshal(sc)
		rev, err := s.defs.Update(ctx, key(tenant, name), data, sc.revision)
		if isWrongRevision(err) {
			continue
		} else if err != nil {
			return fmt.Errorf("schedule: complete %s: %w", name, err)
		}
		s.cache.putDef(key(tenant, name), &sc, rev)
		s.log.Info("one-time schedule completed", "tenant", tenant, "schedule", name)
		return nil
	}
}

// due picks the ticks to fire now: fire, the latest tick considered
// (zero when none is due), and how many missed ticks the catch-up policy
// skips.
func (s *Service) due(tenant string, sc *Schedule, e *Expression, loc *time.Location, st fireState, now time.Time) (fire []time.Time, last time.Time, skipped int) {
	after, anchor := floor(sc, e, st)
	ticks, total := ticksUntil(sc, e, loc, after, anchor, now)
	// With a flexible window each tick waits a delay of its own, the same
	// on every node; the latest tick may not be due yet.
	delay := func(t time.Time) time.Duration { return flexDelay(tenant, sc, t) }
	if n := len(ticks); n > 0 && now.Before(ticks[n-1].Add(delay(ticks[n-1]))) {
		ticks, total = ticks[:n-1], total-1
	}
	if len(ticks) == 0 {
		return nil, time.Time{}, 0
	}
	last = ticks[len(ticks)-1]
	var missed, onTime []time.Time
	for _, t := range ticks {
		if now.Sub(t.Add(delay(t))) > s.cfg.Grace {
			missed = append(missed, t)
		} else {
			onTime = append(onTime, t)
		}
	}
	switch {
	case sc.CatchUp == CatchUpAll:
		fire = ticks
	case sc.CatchUp == CatchUpOne && len(onTime) == 0:
		fire = missed[len(missed)-1:]
	default:
		fire = onTime
	}
	if total > MaxCatchUp {
		s.log.Warn("schedule missed more ticks than catch-up fires at once", "schedule", sc.Name, "missed", total, "max", MaxCatchUp)
	}
	return fire, last, total - len(fire)
}

// floor is the instant after which ticks count, and a rate's anchor.
func floor(sc *Schedule, e *Expression, st fireState) (after, anchor time.Time) {
	if e.Kind == KindAt {
		return st.Last, time.Time{} // a one-time schedule fires once, even if created late
	}
	anchor = sc.Since
	if sc.Start != nil && sc.Start.After(anchor) {
		anchor = *sc.Start
	}
	after = anchor.Add(-time.Nanosecond)
	if st.Last.After(after) {
		after = st.Last
	}
	return after, anchor
}

// ticksUntil lists the ticks after after and not after now (the latest
// MaxCatchUp of them) and how many there are, within the schedule's end.
func ticksUntil(sc *Schedule, e *Expression, loc *time.Location, after, anchor, now time.Time) ([]time.Time, int) {
	total := 0
	if e.Kind == KindRate && now.Sub(after) > time.Duration(MaxCatchUp+1)*e.rate {
		// Jump over what would be dropped anyway.
		skip := int(now.Sub(after)/e.rate) - MaxCatchUp - 1
		after = after.Add(time.Duration(skip) * e.rate)
		total = skip
	}
	var ticks []time.Time
	const maxSteps = 1 << 20
	for i := 0; i < maxSteps; i++ {
		t, ok := e.Next(after, loc, anchor)
		if !ok || t.After(now) || (sc.End != nil && t.After(*sc.End)) {
			break
		}
		ticks = append(ticks, t)
		if len(ticks) > MaxCatchUp {
			ticks = ticks[1:]
		}
		total++
		after = t
	}
	return ticks, total
}

// upcoming lists up to n ticks still to fire.
func upcoming(sc *Schedule, e *Expression, loc *time.Location, st fireState, n int) []time.Time {
	after, anchor := floor(sc, e, st)
	var out []time.Time
	for len(out) < n {
		t, ok := e.Next(after, loc, anchor)
		if !ok || (e.Kind != KindAt && sc.End != nil && t.After(*sc.End)) {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// flexDelay is a tick's delay within the flexible window: spread over the
// window, the same on every node.
func flexDelay(tenant string, sc *Schedule, t time.Time) time.Duration {
	if sc.FlexibleWindow <= 0 {
		return 0
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", tenant, sc.Name, t.UnixNano())))
	window := time.Duration(sc.FlexibleWindow) * time.Minute
	return time.Duration(binary.BigEndian.Uint64(h[:8])%uint64(window/time.Second)) * time.Second
}

// TickID is the request id of one tick of a schedule: the same on every
// node and every retry, different for a schedule made again later.
func TickID(tenant string, sc *Schedule, t time.Time) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d/%d", tenant, sc.Name, sc.Created.UnixNano(), t.UnixNano())))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

func (s *Service) readState(ctx context.Context, k string) (fireState, uint64, error) {
	var st fireState
	e, err := s.state.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return st, 0, nil
	} else if err != nil {
		return st, 0, fmt.Errorf("schedule: read state of %s: %w", k, err)
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return st, 0, fmt.Errorf("schedule: decode state of %s: %w", k, err)
	}
	return st, e.Revision(), nil
}

// errLost: another node changed the state first.
var errLost = errors.New("schedule: another node changed the state first")

// writeState stores st if the state is still at rev (0: absent).
func (s *Service) writeState(ctx context.Context, k string, st fireState, rev uint64) (uint64, error) {
	data, _ := json.Marshal(st)
	var err error
	var n uint64
	if rev == 0 {
		n, err = s.state.Create(ctx, k, data)
	} else {
		n, err = s.state.Update(ctx, k, data, rev)
	}
	if isWrongRevision(err) {
		return 0, errLost
	} else if err != nil {
		return 0, fmt.Errorf("schedule: write state of %s: %w", k, err)
	}
	s.cache.putState(k, st, n)
	return n, nil
}

func ignoreLost(err error) error {
	if errors.Is(err, errLost) {
		return nil
	}
	return err
}

func ignoreNotFound(err error) error {
	if fn.IsNotFound(err) {
		return nil
	}
	return err
}
