package meter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

func records(t *testing.T, m *Meter, tenant, function string, since time.Time) []fn.Usage {
	t.Helper()
	if err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out []fn.Usage
	err := m.Records(context.Background(), tenant, function, since, func(u fn.Usage) error {
		out = append(out, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecordsInOrderPerTenantAndFunction(t *testing.T) {
	m := newMeter(t)
	now := time.Now()
	old := now.Add(-2 * time.Hour)
	for i, u := range []fn.Usage{
		usage("t1", "a", old, 7, 128, true, fn.OutcomeSuccess), // before since
		usage("t1", "a", now, 10, 128, true, fn.OutcomeSuccess),
		usage("t1", "b", now, 20, 256, false, fn.OutcomeError),
		usage("t2", "a", now, 30, 128, false, fn.OutcomeSuccess), // another tenant
		usage("t1", "a", now, 40, 128, false, fn.OutcomeTimeout),
	} {
		u.RequestID = string(rune('p' + i))
		m.Record(u)
	}
	since := now.Add(-time.Hour)
	got := records(t, m, "t1", "", since)
	ids := ""
	for _, u := range got {
		ids += u.RequestID
		if u.RequestID == "r" && (u.Function != "b" || u.MemoryMB != 256 || u.Outcome != fn.OutcomeError || u.Cold) {
			t.Errorf("record r: %+v", u)
		}
	}
	// Each function's records in order; b's batch may come before or after a's.
	if ids != "qtr" && ids != "rqt" {
		t.Fatalf("t1 since an hour: request ids %q, want q, t (function a, in order) and r (function b)", ids)
	}
	if got := records(t, m, "t1", "a", time.Time{}); len(got) != 3 || got[0].RequestID != "p" || got[2].BilledMs != 40 {
		t.Errorf("t1/a from the start: %+v", got)
	}
	if got := records(t, m, "t3", "", time.Time{}); len(got) != 0 {
		t.Errorf("unknown tenant: %+v", got)
	}
	if err := m.Records(context.Background(), "t1", "a.*", time.Time{}, func(fn.Usage) error { return nil }); err == nil {
		t.Error("a wildcard function name was accepted")
	}
	stop := errors.New("stop")
	n := 0
	err := m.Records(context.Background(), "t1", "", time.Time{}, func(fn.Usage) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("emit's error: got %v after %d records, want stop after 1", err, n)
	}
}
