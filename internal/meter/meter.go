package meter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// StreamName is the JetStream stream holding all usage records.
const StreamName = "USAGE"

// DefaultMaxBytes bounds the USAGE stream. Billing history has no age
// limit; at a few hundred bytes a record this holds tens of millions of
// invocations before the oldest are discarded.
const DefaultMaxBytes = 10 << 30

// Config tunes the meter. Zero values take the defaults; FlushInterval
// defaults to store.DefaultFlushInterval.
type Config struct {
	FlushInterval time.Duration // how long a record may wait to be stored
	MaxBytes      int64         // size bound of the USAGE stream
}

// Meter records and sums usage.
type Meter struct {
	log            *slog.Logger
	*store.Journal // Start, Close, Flush
}

// New creates or updates the USAGE stream.
func New(ctx context.Context, st *store.Store, cfg Config, log *slog.Logger) (*Meter, error) {
	if cfg.FlushInterval < 0 || cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("meter: negative value in %+v: use positive values, or 0 for the defaults", cfg)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if log == nil {
		log = slog.Default()
	}
	j, err := store.OpenJournal(ctx, st, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "billing records, one subject per function: usage.<tenant>.<function>",
		Subjects:    []string{"usage.>"},
		MaxBytes:    cfg.MaxBytes,
		Discard:     jetstream.DiscardOld,
	}, store.BatchConfig{FlushInterval: cfg.FlushInterval}, log)
	if err != nil {
		return nil, fmt.Errorf("meter: %w", err)
	}
	return &Meter{log: log, Journal: j}, nil
}

// Record queues u for storing. It never waits for I/O; the record is
// durable after the next flush (within the flush interval).
func (m *Meter) Record(u fn.Usage) {
	if err := errors.Join(store.CheckToken(u.Tenant), store.CheckToken(u.Function)); err != nil {
		m.log.Error("meter: usage record dropped: bad tenant or function",
			"tenant", u.Tenant, "fn", u.Function, "request_id", u.RequestID, "err", err)
		return
	}
	b, ok := appendUsage(make([]byte, 0, 320), &u)
	if !ok {
		m.log.Error("meter: usage record dropped: a duration is not a finite number, or the time is out of range",
			"tenant", u.Tenant, "fn", u.Function, "request_id", u.RequestID, "duration_ms", u.DurationMs, "init_ms", u.InitMs)
		return
	}
	m.Batch.AddMarshaled("usage."+u.Tenant+"."+u.Function, b)
}

// Summary sums tenant's records with Time at or after since (zero: all),
// per function, sorted by function name. An empty function means all of
// the tenant's functions. It reads up to the stream's end as of the call.
func (m *Meter) Summary(ctx context.Context, tenant, function string, since time.Time) ([]fn.UsageSummary, error) {
	if err := store.CheckToken(tenant); err != nil {
		return nil, fn.InvalidParameter("usage of tenant %q: %v", tenant, err)
	}
	filter := "usage." + tenant + ".>"
	if function != "" {
		if err := store.CheckToken(function); err != nil {
			return nil, fn.InvalidParameter("usage of function %q: %v", function, err)
		}
		filter = "usage." + tenant + "." + function
	}
	sums := map[string]*fn.UsageSummary{}
	opt := store.ReadOptions{Filter: filter, Since: since}
	err := store.ReadBatches(ctx, m.Stream, opt, func(item json.RawMessage) error {
		var u fn.Usage
		if err := json.Unmarshal(item, &u); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		if u.Time.Before(since) || u.Outcome == OutcomeProvisioned { // a batch stored after since can start before it
			return nil
		}
		s := sums[u.Function]
		if s == nil {
			s = &fn.UsageSummary{Function: u.Function}
			sums[u.Function] = s
		}
		s.Invocations++
		if u.Outcome != fn.OutcomeSuccess {
			s.Errors++
		}
		s.BilledMs += u.BilledMs
		s.GBs += u.GBs
		if u.Cold {
			s.ColdStarts++
		}
		s.DurationMs += u.DurationMs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("meter: summary of %s: %w", filter, err)
	}
	out := make([]fn.UsageSummary, 0, len(sums))
	for _, s := range sums {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function < out[j].Function })
	return out, nil
}
