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
	log    *slog.Logger
	stream jetstream.Stream
	batch  *store.Batcher
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
	stream, err := st.Stream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "billing records, one subject per function: usage.<tenant>.<function>",
		Subjects:    []string{"usage.>"},
		MaxBytes:    cfg.MaxBytes,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("meter: %w", err)
	}
	return &Meter{
		log:    log,
		stream: stream,
		batch:  store.NewBatcher(st, store.BatchConfig{FlushInterval: cfg.FlushInterval}, log),
	}, nil
}

// Start starts storing recorded usage.
func (m *Meter) Start(ctx context.Context) error {
	if err := m.batch.Start(ctx); err != nil {
		return fmt.Errorf("meter: %w", err)
	}
	return nil
}

// Close stores what is pending and stops.
func (m *Meter) Close(ctx context.Context) error {
	if err := m.batch.Close(ctx); err != nil {
		return fmt.Errorf("meter: close: %w", err)
	}
	return nil
}

// Flush stores every record made before the call.
func (m *Meter) Flush(ctx context.Context) error {
	if err := m.batch.Flush(ctx); err != nil {
		return fmt.Errorf("meter: flush: %w", err)
	}
	return nil
}

// Record queues u for storing. It never waits for I/O; the record is
// durable after the next flush (within the flush interval).
func (m *Meter) Record(u fn.Usage) {
	if err := errors.Join(store.CheckToken(u.Tenant), store.CheckToken(u.Function)); err != nil {
		m.log.Error("meter: usage record dropped: bad tenant or function",
			"tenant", u.Tenant, "fn", u.Function, "request_id", u.RequestID, "err", err)
		return
	}
	b, err := json.Marshal(u)
	if err != nil { // only a NaN or infinite float gets here
		m.log.Error("meter: usage record dropped", "tenant", u.Tenant, "fn", u.Function, "request_id", u.RequestID, "err", err)
		return
	}
	m.batch.AddMarshaled("usage."+u.Tenant+"."+u.Function, b)
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
	err := store.ReadBatches(ctx, m.stream, opt, func(item json.RawMessage) error {
		var u fn.Usage
		if err := json.Unmarshal(item, &u); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		if u.Time.Before(since) { // a batch stored after since can start before it
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
