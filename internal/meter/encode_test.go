package meter

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// appendUsage must give json.Marshal's bytes, so that stored records read
// back the same whichever encoder wrote them.
func FuzzAppendUsage(f *testing.F) {
	f.Add("acme", "fn-1", "$LATEST", "8f507cfc-1111-4697-b07a-ac58fc914c95", 0.123, int64(1), 128, 20, 0.000125, true, 12.5, "success", int64(123456789))
	f.Add("t", "f", "3", "id\"<&>\n\x00é\xff", 1e-7, int64(0), 0, 0, 1e21, false, 0.0, "timeout", int64(0))
	f.Add("t", "f", "3", "r", -1234567.891, int64(-5), -1, -2, 5e-324, false, 1e300, "", int64(999999999))
	f.Fuzz(func(t *testing.T, tenant, function, version, id string, dur float64, billed int64, mem, maxMem int, gbs float64, cold bool, initMs float64, outcome string, ns int64) {
		u := fn.Usage{
			Time: time.Date(2026, 12, 3, 7, 0, 0, int(ns%1e9), time.UTC), Tenant: tenant, Function: function, Version: version,
			RequestID: id, DurationMs: dur, BilledMs: billed, MemoryMB: mem, MaxMemoryMB: maxMem, GBs: gbs, Cold: cold, InitMs: initMs, Outcome: outcome,
		}
		want, err := json.Marshal(u)
		got, ok := appendUsage(nil, &u)
		if ok != (err == nil) {
			t.Fatalf("appendUsage ok=%v, json.Marshal err=%v", ok, err)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("appendUsage:\n %s\njson.Marshal:\n %s", got, want)
		}
	})
}

func TestAppendUsageRefusesNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, ok := appendUsage(nil, &fn.Usage{Time: time.Now(), DurationMs: f}); ok {
			t.Errorf("duration %v encoded", f)
		}
	}
}

func BenchmarkAppendUsage(b *testing.B) {
	u := usage("acme", "hello", time.Now(), 2, 128, false, fn.OutcomeSuccess)
	u.RequestID = "8f507cfc-1111-4697-b07a-ac58fc914c95"
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendUsage(buf[:0], &u)
	}
}
