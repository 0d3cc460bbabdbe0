package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// StreamName is the JetStream stream holding all functions' logs.
const StreamName = "LOGS"

// Retention defaults.
const (
	DefaultMaxAge   = 7 * 24 * time.Hour
	DefaultMaxBytes = 1 << 30
)

// Config is the log store's retention and batching. Zero values take the
// defaults; FlushInterval defaults to store.DefaultFlushInterval.
type Config struct {
	MaxAge        time.Duration // lines older than this are discarded
	MaxBytes      int64         // beyond this the oldest lines are discarded
	FlushInterval time.Duration // how long a line may wait to be stored
}

// Logs stores and reads functions' log lines.
type Logs struct {
	log            *slog.Logger
	*store.Journal // Start, Close, Flush
}

// New creates or updates the LOGS stream with cfg's limits.
func New(ctx context.Context, st *store.Store, cfg Config, log *slog.Logger) (*Logs, error) {
	if cfg.MaxAge < 0 || cfg.MaxBytes < 0 || cfg.FlushInterval < 0 {
		return nil, fmt.Errorf("logs: negative limit in %+v: use positive values, or 0 for the defaults", cfg)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if log == nil {
		log = slog.Default()
	}
	j, err := store.OpenJournal(ctx, st, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "function log lines, one subject per function: logs.<tenant>.<function>",
		Subjects:    []string{"logs.>"},
		MaxAge:      cfg.MaxAge,
		MaxBytes:    cfg.MaxBytes,
		Discard:     jetstream.DiscardOld,
		// The batcher retries with the same message id; the window may
		// not be longer than MaxAge.
		Duplicates: min(2*time.Minute, cfg.MaxAge),
	}, store.BatchConfig{FlushInterval: cfg.FlushInterval}, log)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	return &Logs{log: log, Journal: j}, nil
}

// Append queues tenant's entries for storing; each entry's Function says
// which function wrote it. It never waits for I/O: lines are stored within
// the flush interval, in the order appended. Lines over 256 KiB are cut.
func (l *Logs) Append(tenant string, entries ...fn.LogEntry) {
	if len(entries) == 0 {
		return
	}
	if err := store.CheckToken(tenant); err != nil {
		l.log.Error("logs: lines dropped: bad tenant", "tenant", tenant, "lines", len(entries), "err", err)
		return
	}
	// The router appends one invocation's lines, all of one function: one
	// Add, no grouping needed.
	if sameFunction(entries) {
		if err := store.CheckToken(entries[0].Function); err != nil {
			l.log.Error("logs: lines dropped: bad function name", "tenant", tenant, "fn", entries[0].Function, "err", err)
			return
		}
		// One buffer for all of them; each item is a slice of it. The
		// entries of one invocation share their time: it is formatted once.
		items := make([][]byte, len(entries))
		buf := make([]byte, 0, 160*len(entries))
		var atBuf [40]byte
		atTime := entries[0].Time
		at := atTime.AppendFormat(atBuf[:0], time.RFC3339Nano)
		for i := range entries {
			e := entries[i]
			e.Message = truncate(e.Message)
			if !e.Time.Equal(atTime) || e.Time.Location() != atTime.Location() {
				atTime = e.Time
				at = atTime.AppendFormat(atBuf[:0], time.RFC3339Nano)
			}
			start := len(buf)
			buf = appendEntryAt(buf, &e, at)
			items[i] = buf[start:len(buf):len(buf)]
		}
		l.Batch.AddMarshaled(subject(tenant, entries[0].Function), items...)
		return
	}
	// One Add per function keeps an invocation's lines together.
	var order []string
	byFn := map[string][][]byte{}
	for _, e := range entries {
		if err := store.CheckToken(e.Function); err != nil {
			l.log.Error("logs: line dropped: bad function name", "tenant", tenant, "fn", e.Function, "err", err)
			continue
		}
		e.Message = truncate(e.Message)
		b, err := json.Marshal(e)
		if err != nil { // cannot happen: strings and a time
			l.log.Error("logs: line dropped", "tenant", tenant, "fn", e.Function, "err", err)
			continue
		}
		if _, ok := byFn[e.Function]; !ok {
			order = append(order, e.Function)
		}
		byFn[e.Function] = append(byFn[e.Function], b)
	}
	for _, f := range order {
		l.Batch.AddMarshaled(subject(tenant, f), byFn[f]...)
	}
}

func sameFunction(entries []fn.LogEntry) bool {
	for _, e := range entries[1:] {
		if e.Function != entries[0].Function {
			return false
		}
	}
	return true
}

func subject(tenant, function string) string { return "logs." + tenant + "." + function }

// Query calls emit for each of the function's entries stored at or after
// since (zero: all), in order. Without follow it returns once it reached the
// stream's end as of the call; with follow it goes on with new entries
// until ctx ends, then returns nil. An error from emit stops the query and
// is returned. A function without logs yields nothing.
func (l *Logs) Query(ctx context.Context, tenant, function string, since time.Time, follow bool, emit func(fn.LogEntry) error) error {
	if err := errors.Join(store.CheckToken(tenant), store.CheckToken(function)); err != nil {
		return fn.InvalidParameter("logs of %q in tenant %q: %v", function, tenant, err)
	}
	opt := store.ReadOptions{Filter: subject(tenant, function), Since: since, Follow: follow}
	var emitErr error
	err := store.ReadBatches(ctx, l.Stream, opt, func(item json.RawMessage) error {
		var e fn.LogEntry
		if err := json.Unmarshal(item, &e); err != nil {
			return fmt.Errorf("decode entry: %w", err)
		}
		if e.Time.Before(since) { // a batch stored after since can start before it
			return nil
		}
		emitErr = emit(e)
		return emitErr
	})
	if err != nil && err == emitErr {
		return err // the caller's own error, as it gave it
	}
	if err != nil {
		return fmt.Errorf("logs: query %s/%s: %w", tenant, function, err)
	}
	return nil
}
