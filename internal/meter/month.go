package meter

import (
	"context"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Month keeps each tenant's usage of the current calendar month (UTC) in
// memory, for quotas checked on every call: the first check of a tenant
// sums its stored records since the month began, later ones add what this
// node recorded since, and the sum is read again from the store every
// refresh interval (so other nodes' calls count too, a little late).
type Month struct {
	m       *Meter
	refresh time.Duration
	now     func() time.Time

	mu      sync.Mutex
	tenants map[string]*monthTotals
}

type monthTotals struct {
	month       time.Time // first instant of the month it counts
	read        time.Time // when the base was summed from the store
	invocations int64
	gbs         float64
}

// NewMonth returns month totals over m's records, refreshed from the store
// every refresh (a minute when 0).
func (m *Meter) NewMonth(refresh time.Duration) *Month {
	if refresh <= 0 {
		refresh = time.Minute
	}
	return &Month{m: m, refresh: refresh, now: time.Now, tenants: map[string]*monthTotals{}}
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Add counts a record this node made (call it beside Meter.Record).
func (mo *Month) Add(u fn.Usage) {
	mo.mu.Lock()
	defer mo.mu.Unlock()
	t := mo.tenants[u.Tenant]
	if t == nil || !monthStart(u.Time).Equal(t.month) {
		return // not read yet, or another month: the next read counts it
	}
	t.invocations++
	t.gbs += u.GBs
}

// Totals returns tenant's invocations and GB-seconds this month.
func (mo *Month) Totals(ctx context.Context, tenant string) (int64, float64, error) {
	now := mo.now()
	start := monthStart(now)
	mo.mu.Lock()
	t := mo.tenants[tenant]
	if t != nil && t.month.Equal(start) && now.Sub(t.read) < mo.refresh {
		inv, gbs := t.invocations, t.gbs
		mo.mu.Unlock()
		return inv, gbs, nil
	}
	mo.mu.Unlock()
	// Flush so this node's records are in the sum, then read it.
	if err := mo.m.Flush(ctx); err != nil {
		return 0, 0, err
	}
	sums, err := mo.m.Summary(ctx, tenant, "", start)
	if err != nil {
		return 0, 0, err
	}
	fresh := &monthTotals{month: start, read: now}
	for _, s := range sums {
		fresh.invocations += s.Invocations
		fresh.gbs += s.GBs
	}
	mo.mu.Lock()
	mo.tenants[tenant] = fresh
	mo.mu.Unlock()
	return fresh.invocations, fresh.gbs, nil
}
