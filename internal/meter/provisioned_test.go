package meter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// The samples are driven by hand with a clock of its own: 2 instances of
// 512 MB ready for 3 s, then 1 for 2 s, then none, are 8 000
// instance-ms: 4 GB-s.
func TestProvisionedRecordsInstanceTime(t *testing.T) {
	m := newMeter(t)
	var mu sync.Mutex
	ready := 2
	source := func() []ProvisionedSample {
		mu.Lock()
		defer mu.Unlock()
		return []ProvisionedSample{{Tenant: "t1", Function: "warm", Version: "3", MemoryMB: 512, Ready: ready},
			{Tenant: "t1", Function: "cold", Version: "1", MemoryMB: 128, Ready: 0}}
	}
	p := m.NewProvisioned(ProvisionedConfig{Sample: time.Hour, Every: time.Hour, Source: source})
	clock := time.Now().Add(-time.Minute)
	p.now = func() time.Time { return clock }
	ctx := context.Background()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p.sample(clock) // sees 2
	clock = clock.Add(3 * time.Second)
	mu.Lock()
	ready = 1
	mu.Unlock()
	p.sample(clock) // 2 × 3 s; sees 1
	clock = clock.Add(1 * time.Second)
	p.flush(clock) // a record mid-way: 6 000 ms so far
	clock = clock.Add(1 * time.Second)
	mu.Lock()
	ready = 0
	mu.Unlock()
	p.sample(clock) // 1 × 2 s (across the flush: the flush takes only what was sampled); sees 0
	clock = clock.Add(time.Second)
	if err := p.Close(ctx); err != nil { // nothing ready for the last second
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var recs []fn.Usage
	if err := m.AllRecords(ctx, "t1", "", time.Time{}, func(u fn.Usage) error { recs = append(recs, u); return nil }); err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, u := range recs {
		if u.Outcome != OutcomeProvisioned || u.Function != "warm" || u.Version != "3" || u.MemoryMB != 512 || u.GBs != fn.GBSeconds(u.BilledMs, 512) {
			t.Errorf("record %+v", u)
		}
		total += u.BilledMs
	}
	if len(recs) != 2 || recs[0].BilledMs != 6000 || total != 8000 {
		t.Errorf("records %+v, want 6000 then 2000 instance-ms", recs)
	}
	// They are not calls.
	m.Record(usage("t1", "warm", time.Now(), 10, 512, false, fn.OutcomeSuccess))
	if s := summary(t, m, "t1", "", time.Time{}); len(s) != 1 || s[0].Invocations != 1 || s[0].BilledMs != 10 {
		t.Errorf("summary with provisioned records: %+v", s)
	}
	n := 0
	if err := m.Records(ctx, "t1", "", time.Time{}, func(fn.Usage) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("Records gave %d records (%v), want the 1 call", n, err)
	}
}
