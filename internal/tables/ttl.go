package tables

import (
	"context"
	"time"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// reapEvery is how often the TTL reaper looks for expired items.
// DynamoDB deletes expired items within days; here within seconds.
const reapEvery = 5 * time.Second

// reapBatch bounds the deletions of one table per pass.
const reapBatch = 1000

// runReaper deletes expired items until ctx is done.
func (s *Store) runReaper(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(reapEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n, err := s.Reap(ctx, now()); err != nil {
				s.log.Warn("the TTL reaper failed; it tries again", "err", err)
			} else if n > 0 {
				s.log.Debug("expired items deleted", "items", n)
			}
		}
	}
}

// Reap deletes every item whose TTL attribute (a Number of epoch
// seconds) is before at, in tables with TTL on, as the service: each
// deletion writes a REMOVE stream record with userIdentity
// dynamodb.amazonaws.com. The deletion re-checks the item under its lock,
// so an item rewritten meanwhile stays. It returns how many it deleted.
func (s *Store) Reap(ctx context.Context, at time.Time) (int, error) {
	s.mu.RLock()
	var live []*Table
	for _, d := range s.defs {
		if d.t.TTLAttribute != "" {
			live = append(live, d.t)
		}
	}
	s.mu.RUnlock()
	deleted := 0
	for _, t := range live {
		x := s.indexOf(t.ID)
		for _, e := range x.expired(at.Unix(), reapBatch) {
			res, err := s.transact(ctx, t.Tenant, []Mutation{{Table: t.Name, Key: t.keyItem(e.key), Exact: true,
				Change: func(old attr.Item) (attr.Item, bool, error) {
					exp := expiry(t, old)
					return nil, exp > 0 && exp < at.Unix(), nil
				}}}, Service)
			if err != nil {
				return deleted, err
			}
			if res[0].Changed {
				deleted++
			}
		}
	}
	return deleted, nil
}

// indexTTL records the TTL of every item of t in its index, after TTL
// is turned on for items written before.
func (s *Store) indexTTL(ctx context.Context, t *Table) error {
	x := s.indexOf(t.ID)
	var todo []entry
	err := s.Scan(ctx, t.Tenant, t.Name, ScanInput{}, func(key, item attr.Item) (bool, error) {
		if exp := expiry(t, item); exp > 0 {
			k, err := t.key(key, true)
			if err != nil {
				return false, err
			}
			todo = append(todo, entry{key: k, expires: exp})
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	x.setExpiry(todo)
	return nil
}
