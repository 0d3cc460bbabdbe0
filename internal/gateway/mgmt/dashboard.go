package mgmt

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Read-only endpoints the web dashboard (internal/web) needs beyond the
// rest of /v1: one record per invocation, for its invocation history and
// its latency charts and percentiles.

// Limits of GET /v1/usage/records.
const (
	defaultRecordLimit = 1000
	maxRecordLimit     = 10_000
)

// usageRecords is GET /v1/usage/records?function=NAME&since=1h&limit=N:
// {"records":[Usage…],"truncated":bool}, the caller's tenant's usage
// records (all functions when function is absent) oldest first, the
// newest limit of them (default 1000, at most 10000); truncated says older
// ones were left out.
func (g *API) usageRecords(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	since, err := wire.ParseSince(q.Get("since"), time.Now())
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	name := q.Get("function")
	if name != "" {
		if err := fn.ValidateName(name); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
	}
	limit := defaultRecordLimit
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxRecordLimit {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("limit must be 1 to %d, got %q", maxRecordLimit, s))
			return
		}
	}
	if err := g.meter.Flush(r.Context()); err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	// A ring of the newest limit records: memory stays bounded however
	// many the period holds.
	ring := make([]fn.Usage, 0, min(limit, 256))
	next, seen := 0, 0
	err = g.meter.Records(r.Context(), tenant, name, since, func(u fn.Usage) error {
		seen++
		if len(ring) < limit {
			ring = append(ring, u)
			return nil
		}
		ring[next] = u
		next = (next + 1) % limit
		return nil
	})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	sort.SliceStable(ring, func(i, j int) bool { return ring[i].Time.Before(ring[j].Time) })
	wire.JSON(w, http.StatusOK, map[string]any{"records": ring, "truncated": seen > len(ring)})
}
