package billing

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/meter"
)

var nov = Month{Year: 2026, Month: time.November}

// calls makes n usage records of one function, each billed ms long at mem
// MB, in November 2026.
func calls(tenant, function string, n int, mem int, billed int64) []fn.Usage {
	out := make([]fn.Usage, n)
	for i := range out {
		out[i] = fn.Usage{
			Time: nov.Start().Add(time.Duration(i) * time.Second), Tenant: tenant, Function: function, Version: "$LATEST",
			DurationMs: float64(billed) - 0.25, BilledMs: billed, MemoryMB: mem, GBs: fn.GBSeconds(billed, mem),
			Cold: i == 0, Outcome: fn.OutcomeSuccess,
		}
	}
	return out
}

func provisioned(tenant, function string, n int, mem int, ms int64) []fn.Usage {
	out := calls(tenant, function, n, mem, ms)
	for i := range out {
		out[i].Outcome, out[i].Cold = meter.OutcomeProvisioned, false
	}
	return out
}

func join(groups ...[]fn.Usage) []fn.Usage {
	var out []fn.Usage
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// amounts is a bill's lines as "item=amount" in order, then
// "subtotal/free/total".
func amounts(b Bill) string {
	var parts []string
	for _, l := range b.Lines {
		parts = append(parts, l.Item+"="+l.Amount)
	}
	return strings.Join(parts, " ") + " | " + b.Subtotal + " " + b.FreeTier + " " + b.Total
}

func fnAmounts(f FunctionBill) string {
	var parts []string
	for _, l := range f.Lines {
		parts = append(parts, l.Item+"="+l.Amount)
	}
	return strings.Join(parts, " ") + " | " + f.Subtotal
}

func noFreeTier(p Prices) Prices { p.FreeRequests, p.FreeGBSeconds = 0, 0; return p }

// Every expectation below is worked by hand in its comment: GB-s = billed
// ms × memory MB / 1024 / 1000; amount = quantity × unit price, rounded
// half-up to the cent per line.
func TestBillMatchesHandCalculation(t *testing.T) {
	lambda := DefaultPrices()
	cases := []struct {
		name    string
		prices  Prices
		arch    string
		records []fn.Usage
		want    string
		wantFns map[string]string // function → its lines' amounts and subtotal
	}{{
		// 100 calls × 900 000 ms × 10 240 MB = 100 × 9 000 = 900 000 GB-s.
		// compute 900 000 × 0.0000166667 = 15.00003 → 15.00
		// requests 100 × 0.0000002 = 0.00002 → 0.00
		// free: 100 requests → -0.00; 400 000 GB-s × 0.0000166667 = 6.66668 → -6.67
		// total 15.00 - 6.67 = 8.33 (by hand on the net: 500 000 × 0.0000166667 = 8.333335 → 8.33)
		name: "one big function, Lambda prices and free tier", prices: lambda, arch: "x86_64",
		records: calls("t", "render", 100, 10240, 900_000),
		want:    "requests=0.00 compute=15.00 free_tier_requests=0.00 free_tier_compute=-6.67 | 15.00 -6.67 8.33",
	}, {
		// resize: 50 × 900 000 ms × 10 240 MB = 450 000 GB-s → 7.500015 → 7.50
		// thumb: 200 × 300 000 ms × 1 536 MB = 200 × 450 = 90 000 GB-s → 1.500003 → 1.50
		// ping: 1 000 × 1 ms × 128 MB = 0.125 GB-s → 0.0000020833375 → 0.00
		// tenant: 540 000.125 GB-s × 0.0000166667 = 9.0000200833375 → 9.00;
		// 1 250 requests → 0.00025 → 0.00; free compute 400 000 GB-s → -6.67
		// total 9.00 - 6.67 = 2.33
		name: "several functions and memory sizes", prices: lambda, arch: "x86_64",
		records: join(calls("t", "resize", 50, 10240, 900_000), calls("t", "thumb", 200, 1536, 300_000), calls("t", "ping", 1000, 128, 1)),
		want:    "requests=0.00 compute=9.00 free_tier_requests=0.00 free_tier_compute=-6.67 | 9.00 -6.67 2.33",
		wantFns: map[string]string{
			"ping":   "requests=0.00 compute=0.00 | 0.00",
			"resize": "requests=0.00 compute=7.50 | 7.50",
			"thumb":  "requests=0.00 compute=1.50 | 1.50",
		},
	}, {
		// Free tier of 10 requests and 1 GB-s; $0.01 a request, $1 a GB-s.
		// Exactly at the boundary: 10 requests of 1 024 MB × 100 ms = 1 GB-s.
		// requests 0.10 - 0.10; compute 1.00 - 1.00; total 0.00
		name: "free tier exactly used", prices: tier(10, 1), arch: "x86_64",
		records: calls("t", "f", 10, 1024, 100),
		want:    "requests=0.10 compute=1.00 free_tier_requests=-0.10 free_tier_compute=-1.00 | 1.10 -1.10 0.00",
	}, {
		// One call past it: 11 requests → 0.11 - 0.10; 11 × 0.1 GB-s = 1.1
		// GB-s → 1.10 - 1.00; total 0.01 + 0.10 = 0.11
		name: "one call past the free tier", prices: tier(10, 1), arch: "x86_64",
		records: calls("t", "f", 11, 1024, 100),
		want:    "requests=0.11 compute=1.10 free_tier_requests=-0.10 free_tier_compute=-1.00 | 1.21 -1.10 0.11",
	}, {
		// Under the tier: 3 requests, 0.3 GB-s: all free.
		name: "under the free tier", prices: tier(10, 1), arch: "x86_64",
		records: calls("t", "f", 3, 1024, 100),
		want:    "requests=0.03 compute=0.30 free_tier_requests=-0.03 free_tier_compute=-0.30 | 0.33 -0.33 0.00",
	}, {
		// Half a cent rounds up: 1 024 MB × 1 005 ms = 1.005 GB-s at $1 →
		// 1.01; the free GB-s take 1.00 off: total 0.01 (+ 1 request 0.01 - 0.01).
		name: "half a cent rounds up", prices: tier(10, 1), arch: "x86_64",
		records: calls("t", "f", 1, 1024, 1005),
		want:    "requests=0.01 compute=1.01 free_tier_requests=-0.01 free_tier_compute=-1.00 | 1.02 -1.01 0.01",
	}, {
		// Just under half a cent rounds down: 128 MB × 3 999 992 ms =
		// 511 998 976 MB·ms = 499.998 GB-s at $0.00001 = 0.00499998 → 0.00.
		name: "just under half a cent rounds down", prices: rate("0.00001"), arch: "x86_64",
		records: calls("t", "f", 1, 128, 3_999_992),
		want:    "requests=0.00 compute=0.00 | 0.00 0.00 0.00",
	}, {
		// Each function's 400 GB-s at $0.00001 is 0.004 → 0.00 on its own,
		// but the tenant's line is rounded once from the exact 800 GB-s:
		// 0.008 → 0.01 (docs/BILLING.md: per-function amounts are shares).
		name: "the tenant's line is rounded once, not summed from rounded shares", prices: rate("0.00001"), arch: "x86_64",
		records: join(calls("t", "a", 1, 1024, 400_000), calls("t", "b", 1, 2048, 200_000)),
		want:    "requests=0.00 compute=0.01 | 0.01 0.00 0.01",
		wantFns: map[string]string{"a": "requests=0.00 compute=0.00 | 0.00", "b": "requests=0.00 compute=0.00 | 0.00"},
	}, {
		// Provisioned: 2 records of an hour at 1 024 MB = 7 200 GB-s ×
		// 0.0000041667 = 0.03000024 → 0.03; not requests, no free tier.
		// Calls: 5 × 1 024 MB × 100 ms = 0.5 GB-s → 0.0000083 → 0.00.
		name: "provisioned concurrency", prices: noFreeTier(lambda), arch: "x86_64",
		records: join(provisioned("t", "warm", 2, 1024, 3_600_000), calls("t", "warm", 5, 1024, 100)),
		want:    "requests=0.00 compute=0.00 provisioned=0.03 | 0.03 0.00 0.03",
	}, {
		// arm64: 3 600 GB-s (1 × 900 000 ms × 4 096 MB) × 0.0000133334 =
		// 0.04800024 → 0.05; x86_64 would be 0.0600001 → 0.06.
		name: "arm64 price", prices: noFreeTier(lambda), arch: "arm64",
		records: calls("t", "f", 1, 4096, 900_000),
		want:    "requests=0.00 compute=0.05 | 0.05 0.00 0.05",
	}, {
		name: "x86_64 price", prices: noFreeTier(lambda), arch: "x86_64",
		records: calls("t", "f", 1, 4096, 900_000),
		want:    "requests=0.00 compute=0.06 | 0.06 0.00 0.06",
	}, {
		// Records of October and December are not November's; another
		// tenant's are not t's.
		name: "other months and tenants left out", prices: tier(10, 1), arch: "x86_64",
		records: join(shift(calls("t", "f", 5, 1024, 100), -time.Hour), shift(calls("t", "f", 5, 1024, 100), 30*24*time.Hour),
			calls("u", "f", 5, 1024, 100), calls("t", "f", 2, 1024, 100)),
		want: "requests=0.02 compute=0.20 free_tier_requests=-0.02 free_tier_compute=-0.20 | 0.22 -0.22 0.00",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewBuilder(c.prices, nov, c.arch)
			for _, u := range c.records {
				b.Add(u)
			}
			bill := b.Bill("t")
			if got := amounts(bill); got != c.want {
				t.Errorf("bill\n got %s\nwant %s", got, c.want)
			}
			for _, f := range bill.Functions {
				want, ok := c.wantFns[f.Function]
				if !ok {
					continue
				}
				got := fnAmounts(f)
				if got != want {
					t.Errorf("function %s\n got %s\nwant %s", f.Function, got, want)
				}
			}
		})
	}
}

func shift(us []fn.Usage, d time.Duration) []fn.Usage {
	for i := range us {
		us[i].Time = us[i].Time.Add(d)
		if d > 0 {
			us[i].Time = us[i].Time.Add(24 * time.Hour)
		}
	}
	return us
}

// tier is $0.01 a request and $1 a GB-s with a free tier of req requests
// and gbs GB-s: amounts a hand can follow.
func tier(req, gbs int64) Prices {
	p := DefaultPrices()
	p.RequestsPerMillion, p.GBSecondX86 = MustPrice("10000"), MustPrice("1")
	p.FreeRequests, p.FreeGBSeconds = req, gbs
	return p
}

func rate(perGBs string) Prices {
	p := noFreeTier(DefaultPrices())
	p.GBSecondX86 = MustPrice(perGBs)
	return p
}

// The lines carry their exact quantities and prices, so a reader can
// redo the arithmetic.
func TestBillLinesAreExact(t *testing.T) {
	b := NewBuilder(noFreeTier(DefaultPrices()), nov, "x86_64")
	for _, u := range join(calls("t", "ping", 1000, 128, 1), calls("t", "big", 1, 10240, 900_000)) {
		b.Add(u)
	}
	b.AddThrottled("t", 7)
	bill := b.Bill("t")
	byItem := map[string]Line{}
	for _, l := range bill.Lines {
		byItem[l.Item] = l
	}
	// 0.125 + 9 000 GB-s; × 0.0000166667 = 0.1500003 + 0.0000020833375 =
	// 0.1500023833375 → 0.15
	if l := byItem[ItemCompute]; l.Quantity != "9000.125" || l.UnitPrice != "0.0000166667" || l.Exact != "0.1500023833375" || l.Amount != "0.15" {
		t.Errorf("compute line %+v", l)
	}
	// 1 001 requests × 0.0000002 = 0.0002002
	if l := byItem[ItemRequests]; l.Quantity != "1001" || l.UnitPrice != "0.0000002" || l.Exact != "0.0002002" || l.Amount != "0.00" {
		t.Errorf("requests line %+v", l)
	}
	if l := byItem[ItemThrottled]; l.Quantity != "7" || l.Amount != "0.00" || bill.Throttled != 7 {
		t.Errorf("throttled line %+v, throttled %d", l, bill.Throttled)
	}
	if bill.Requests != 1001 || bill.GBs != "9000.125" || bill.Total != "0.15" || bill.Month != "2026-11" || bill.Currency != "USD" {
		t.Errorf("bill %+v", bill)
	}
	if len(bill.Functions) != 2 || bill.Functions[0].Function != "big" || bill.Functions[1].ColdStarts != 1 || bill.Functions[1].BilledMs != 1000 {
		t.Errorf("functions %+v", bill.Functions)
	}
	if empty := b.Bill("nobody"); empty.Total != "0.00" || len(empty.Functions) != 0 {
		t.Errorf("bill of a tenant without usage: %+v", empty)
	}
}

func TestLoadPrices(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := LoadPrices(write("p.yaml", "requests_per_million: 0.25\ngb_second_x86_64: \"0.00002\"\nfree_requests: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.RequestsPerMillion.String() != "0.25" || p.GBSecondX86.String() != "0.00002" || p.FreeRequests != 0 ||
		p.FreeGBSeconds != 400_000 || p.ProvisionedGBSecond.String() != "0.0000041667" {
		t.Errorf("yaml over the defaults: %+v", p)
	}
	p, err = LoadPrices(write("p.json", `{"gb_second_arm64": 0.00001, "free_gb_seconds": 0, "currency": "EUR"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.GBSecondArm.String() != "0.00001" || p.FreeGBSeconds != 0 || p.Currency != "EUR" || p.RequestsPerMillion.String() != "0.20" {
		t.Errorf("json over the defaults: %+v", p)
	}
	if p, err := LoadPrices(write("empty.yaml", "")); err != nil || p.GBSecondX86.String() != "0.0000166667" {
		t.Errorf("empty file: %+v, %v", p, err)
	}
	for name, body := range map[string]string{
		"typo.json":     `{"gb_second": 0.1}`,
		"neg.json":      `{"gb_second_x86_64": -1}`,
		"nan.yaml":      "gb_second_x86_64: .nan\n",
		"word.yaml":     "requests_per_million: cheap\n",
		"free.json":     `{"free_requests": -1}`,
		"currency.json": `{"currency": "dollars"}`,
		"typo.yaml":     "gb_secnd_x86_64: 1\n",
	} {
		if _, err := LoadPrices(write(name, body)); err == nil {
			t.Errorf("%s: %s accepted", name, body)
		}
	}
	if _, err := LoadPrices(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file accepted")
	}
	// Prices are written as strings: no reader turns them into floats.
	b, _ := json.Marshal(DefaultPrices())
	if !strings.Contains(string(b), `"gb_second_x86_64":"0.0000166667"`) {
		t.Errorf("json: %s", b)
	}
}

func TestParseMonth(t *testing.T) {
	m, err := ParseMonth("2026-12")
	if err != nil || m.String() != "2026-12" || !m.End().Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("2026-12: %v %v", m, err)
	}
	for _, s := range []string{"", "2026-13", "2026-1", "Nov 2026", "2026-11-01"} {
		if _, err := ParseMonth(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if m := MonthOf(time.Date(2026, 11, 30, 23, 0, 0, 0, time.FixedZone("x", -3*3600))); m.String() != "2026-12" {
		t.Errorf("month of a time west of UTC: %s", m)
	}
}

func BenchmarkBuilderAdd(b *testing.B) {
	us := join(calls("t", "a", 512, 128, 37), calls("t", "b", 512, 1769, 1234))
	bl := NewBuilder(DefaultPrices(), nov, "x86_64")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		bl.Add(us[i%len(us)])
		i++
	}
}
