package meter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func start(t *testing.T, st *store.Store, cfg Config) *Meter {
	t.Helper()
	ctx := context.Background()
	m, err := New(ctx, st, cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func newMeter(t *testing.T) *Meter {
	t.Helper()
	st := openStore(t, t.TempDir())
	m := start(t, st, Config{FlushInterval: 5 * time.Millisecond})
	t.Cleanup(func() {
		_ = m.Close(context.Background())
		st.Close()
	})
	return m
}

func usage(tenant, function string, at time.Time, billed int64, mem int, cold bool, outcome string) fn.Usage {
	return fn.Usage{
		Time: at, Tenant: tenant, Function: function, Version: "$LATEST", RequestID: "r",
		DurationMs: float64(billed) - 0.5, BilledMs: billed, MemoryMB: mem, MaxMemoryMB: 20,
		GBs: fn.GBSeconds(billed, mem), Cold: cold, Outcome: outcome,
	}
}

func summary(t *testing.T, m *Meter, tenant, function string, since time.Time) []fn.UsageSummary {
	t.Helper()
	if err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := m.Summary(context.Background(), tenant, function, since)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSummarySums(t *testing.T) {
	m := newMeter(t)
	now := time.Now()
	m.Record(usage("t1", "b", now, 10, 1024, true, fn.OutcomeSuccess))
	m.Record(usage("t1", "b", now, 20, 1024, false, fn.OutcomeError))
	m.Record(usage("t1", "b", now, 30, 1024, false, fn.OutcomeTimeout))
	m.Record(usage("t1", "a", now, 100, 128, true, fn.OutcomeSuccess))
	m.Record(usage("t1", "a", now, 1, 128, false, fn.OutcomeCrash))
	m.Record(usage("t2", "a", now, 999, 128, true, fn.OutcomeSuccess)) // another tenant

	got := summary(t, m, "t1", "", time.Time{})
	if len(got) != 2 || got[0].Function != "a" || got[1].Function != "b" {
		t.Fatalf("got %+v, want a and b in order", got)
	}
	a, b := got[0], got[1]
	if a.Invocations != 2 || a.Errors != 1 || a.BilledMs != 101 || a.ColdStarts != 1 ||
		!near(a.GBs, fn.GBSeconds(101, 128)) || !near(a.DurationMs, 100) {
		t.Errorf("a: %+v", a)
	}
	if b.Invocations != 3 || b.Errors != 2 || b.BilledMs != 60 || b.ColdStarts != 1 ||
		!near(b.GBs, 0.06) || !near(b.DurationMs, 58.5) {
		t.Errorf("b: %+v", b)
	}

	if got := summary(t, m, "t1", "b", time.Time{}); len(got) != 1 || got[0] != b {
		t.Errorf("function b only: %+v", got)
	}
	if got := summary(t, m, "t2", "", time.Time{}); len(got) != 1 || got[0].BilledMs != 999 {
		t.Errorf("tenant t2: %+v", got)
	}
	if got := summary(t, m, "t3", "", time.Time{}); len(got) != 0 {
		t.Errorf("unknown tenant: %+v", got)
	}
	if got := summary(t, m, "t1", "nope", time.Time{}); len(got) != 0 {
		t.Errorf("unknown function: %+v", got)
	}
	if _, err := m.Summary(context.Background(), "t1", "*", time.Time{}); err == nil {
		t.Error("wildcard function accepted")
	}
}

func TestSummarySince(t *testing.T) {
	m := newMeter(t)
	old := time.Now().Add(-time.Hour)
	m.Record(usage("t1", "f", old, 5, 128, true, fn.OutcomeSuccess)) // stored now, but from an hour ago
	if err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	since := time.Now()
	m.Record(usage("t1", "f", time.Now(), 7, 128, false, fn.OutcomeSuccess))

	got := summary(t, m, "t1", "f", since)
	if len(got) != 1 || got[0].Invocations != 1 || got[0].BilledMs != 7 {
		t.Fatalf("since: %+v", got)
	}
	// The record's own time counts, not when it was stored.
	got = summary(t, m, "t1", "f", old.Add(time.Minute))
	if len(got) != 1 || got[0].Invocations != 1 {
		t.Fatalf("since between record time and storage: %+v", got)
	}
	if got := summary(t, m, "t1", "f", time.Time{}); got[0].Invocations != 2 {
		t.Fatalf("all: %+v", got)
	}
}

func TestConcurrentRecordsAllCounted(t *testing.T) {
	m := newMeter(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 250 {
				m.Record(usage("t1", fmt.Sprint("f", w%3), time.Now(), 3, 256, false, fn.OutcomeSuccess))
			}
		})
	}
	wg.Wait()
	var total int64
	for _, s := range summary(t, m, "t1", "", time.Time{}) {
		total += s.Invocations
	}
	if total != 2000 {
		t.Fatalf("counted %d invocations, want 2000", total)
	}
}

func TestCloseFlushesAndReopenKeeps(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	m := start(t, st, Config{FlushInterval: time.Hour})
	m.Record(usage("t1", "f", time.Now(), 42, 512, true, fn.OutcomeSuccess))
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	m = start(t, st, Config{})
	defer m.Close(context.Background())
	got := summary(t, m, "t1", "", time.Time{})
	if len(got) != 1 || got[0].BilledMs != 42 || got[0].ColdStarts != 1 {
		t.Fatalf("after reopen: %+v", got)
	}
}
