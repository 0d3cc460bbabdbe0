package meter

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// Records calls emit with tenant's usage records whose Time is at or after
// since (zero: all), for one function or, when function is "", for all of
// the tenant's functions: each function's records in the order they were
// stored (records of different functions are stored in separate batches,
// so across functions the order is the batches'). It reads up to
// the stream's end as of the call; an error from emit stops it and is
// returned. The dashboard's invocation history and latency charts read
// it (GET /v1/usage/records). Records of provisioned concurrency
// (OutcomeProvisioned) are not calls and are left out; AllRecords has them.
func (m *Meter) Records(ctx context.Context, tenant, function string, since time.Time, emit func(fn.Usage) error) error {
	return m.AllRecords(ctx, tenant, function, since, func(u fn.Usage) error {
		if u.Outcome == OutcomeProvisioned {
			return nil
		}
		return emit(u)
	})
}

// AllRecords is Records with the records of provisioned concurrency too:
// what a bill is made of.
func (m *Meter) AllRecords(ctx context.Context, tenant, function string, since time.Time, emit func(fn.Usage) error) error {
	if err := store.CheckToken(tenant); err != nil {
		return fn.InvalidParameter("usage of tenant %q: %v", tenant, err)
	}
	filter := "usage." + tenant + ".>"
	if function != "" {
		if err := store.CheckToken(function); err != nil {
			return fn.InvalidParameter("usage of function %q: %v", function, err)
		}
		filter = "usage." + tenant + "." + function
	}
	opt := store.ReadOptions{Filter: filter, Since: since}
	err := store.ReadBatches(ctx, m.Stream, opt, func(item json.RawMessage) error {
		var u fn.Usage
		if err := json.Unmarshal(item, &u); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		if u.Time.Before(since) { // a batch stored after since can start before it
			return nil
		}
		return emit(u)
	})
	if err != nil {
		return fmt.Errorf("meter: records of %s: %w", filter, err)
	}
	return nil
}
