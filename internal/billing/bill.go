package billing

import (
	"fmt"
	"runtime"
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/meter"
)

// Line items.
const (
	ItemRequests         = "requests"
	ItemCompute          = "compute"     // on-demand duration, GB-s
	ItemProvisioned      = "provisioned" // provisioned concurrency kept ready, GB-s
	ItemFreeRequests     = "free_tier_requests"
	ItemFreeCompute      = "free_tier_compute"
	ItemThrottled        = "throttled" // counted, never billed
	unitRequests         = "requests"
	unitGBs              = "GB-s"
	gbMsPerGBs           = 1024 * 1000 // MB·ms in a GB-s (1 GB = 1024 MB)
	requestsPerMillion   = 1_000_000
	centExponent         = -2
	decimalPrecision     = 60 // digits: products of 20-digit quantities and prices stay exact
	archX86, archArm     = "x86_64", "arm64"
	defaultCurrency      = "USD"
	throttledDescription = "throttled calls (not billed)"
)

// Line is one item of a bill. Quantity, UnitPrice and Exact are exact
// decimals; Amount is Exact rounded half-up to the cent. Deductions have
// negative amounts.
type Line struct {
	Item        string `json:"item"`
	Description string `json:"description"`
	Quantity    string `json:"quantity"`
	Unit        string `json:"unit"`
	UnitPrice   string `json:"unit_price"`
	Exact       string `json:"exact"`
	Amount      string `json:"amount"`
}

// FunctionBill is one function's share: its usage and its charges before
// the tenant's free tier (which applies to the tenant as a whole).
type FunctionBill struct {
	Function    string `json:"function"`
	Requests    int64  `json:"requests"`
	Errors      int64  `json:"errors"`
	ColdStarts  int64  `json:"cold_starts"`
	BilledMs    int64  `json:"billed_ms"`
	GBs         string `json:"gb_s"`
	Provisioned string `json:"provisioned_gb_s"`
	Lines       []Line `json:"lines"`
	Subtotal    string `json:"subtotal"`
}

// Bill is a tenant's bill for a month. Lines are the tenant's charges
// (each from the tenant's exact totals, rounded once), then its free-tier
// deductions, then a throttled line when it has throttles. Subtotal is the
// sum of the charges' amounts, FreeTier of the deductions' (zero or
// negative), Total their sum.
type Bill struct {
	Tenant       string         `json:"tenant"`
	Month        string         `json:"month"`
	Currency     string         `json:"currency"`
	Architecture string         `json:"architecture"`
	Requests     int64          `json:"requests"`
	GBs          string         `json:"gb_s"`
	Throttled    int64          `json:"throttled"`
	Lines        []Line         `json:"lines"`
	Subtotal     string         `json:"subtotal"`
	FreeTier     string         `json:"free_tier"`
	Total        string         `json:"total"`
	Functions    []FunctionBill `json:"functions"`
}

// Builder sums usage records of one month into bills.
type Builder struct {
	prices  Prices
	month   Month
	arch    string
	tenants map[string]*tenantSum
}

type tenantSum struct {
	fns       map[string]*fnSum
	throttled int64
}

// fnSum keeps integers: MB·ms products summed exactly in decimals.
type fnSum struct {
	requests, errors, cold, billedMs int64
	mbMs, provMbMs                   apd.Decimal
}

// NewBuilder bills month at prices, for functions that run on arch
// ("x86_64" or "arm64"; "" is this host's).
func NewBuilder(p Prices, month Month, arch string) *Builder {
	if arch == "" {
		arch = HostArchitecture()
	}
	if p.Currency == "" {
		p.Currency = defaultCurrency
	}
	return &Builder{prices: p, month: month, arch: arch, tenants: map[string]*tenantSum{}}
}

// HostArchitecture is Lambda's name of this host's architecture.
func HostArchitecture() string {
	if runtime.GOARCH == "arm64" {
		return archArm
	}
	return archX86
}

// Month is the month billed.
func (b *Builder) Month() Month { return b.month }

func (b *Builder) tenant(name string) *tenantSum {
	t := b.tenants[name]
	if t == nil {
		t = &tenantSum{fns: map[string]*fnSum{}}
		b.tenants[name] = t
	}
	return t
}

// Add counts one usage record; records outside the month are left out.
// A provisioned record (meter.OutcomeProvisioned) counts as provisioned
// concurrency; any other is a call: one request and its duration.
func (b *Builder) Add(u fn.Usage) {
	if !b.month.Contains(u.Time) {
		return
	}
	t := b.tenant(u.Tenant)
	f := t.fns[u.Function]
	if f == nil {
		f = &fnSum{}
		t.fns[u.Function] = f
	}
	var mbMs apd.Decimal
	mbMs.SetInt64(u.BilledMs)
	mul(&mbMs, &mbMs, apd.New(int64(u.MemoryMB), 0))
	if u.Outcome == meter.OutcomeProvisioned {
		add(&f.provMbMs, &f.provMbMs, &mbMs)
		return
	}
	f.requests++
	if u.Outcome != fn.OutcomeSuccess {
		f.errors++
	}
	if u.Cold {
		f.cold++
	}
	f.billedMs += u.BilledMs
	add(&f.mbMs, &f.mbMs, &mbMs)
}

// AddThrottled counts n throttled calls of tenant: shown, never billed.
func (b *Builder) AddThrottled(tenant string, n int64) {
	if n > 0 {
		b.tenant(tenant).throttled += n
	}
}

// Tenants lists the tenants records were added for, sorted.
func (b *Builder) Tenants() []string {
	out := make([]string, 0, len(b.tenants))
	for t := range b.tenants {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Bill is tenant's bill; a tenant with no usage gets a bill of zero.
func (b *Builder) Bill(tenant string) Bill {
	t := b.tenants[tenant]
	if t == nil {
		t = &tenantSum{}
	}
	computePrice := b.prices.GBSecondX86
	if b.arch == archArm {
		computePrice = b.prices.GBSecondArm
	}
	bill := Bill{Tenant: tenant, Month: b.month.String(), Currency: b.prices.Currency,
		Architecture: b.arch, Throttled: t.throttled, Functions: []FunctionBill{}}
	var total fnSum
	names := make([]string, 0, len(t.fns))
	for n := range t.fns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := t.fns[n]
		total.requests += f.requests
		add(&total.mbMs, &total.mbMs, &f.mbMs)
		add(&total.provMbMs, &total.provMbMs, &f.provMbMs)
		lines := b.charges(f, computePrice)
		bill.Functions = append(bill.Functions, FunctionBill{
			Function: n, Requests: f.requests, Errors: f.errors, ColdStarts: f.cold, BilledMs: f.billedMs,
			GBs: text(gbs(&f.mbMs)), Provisioned: text(gbs(&f.provMbMs)), Lines: lines, Subtotal: sum(lines),
		})
	}
	bill.Requests = total.requests
	bill.GBs = text(gbs(&total.mbMs))
	bill.Lines = b.charges(&total, computePrice)
	bill.Subtotal = sum(bill.Lines)
	free := b.freeTier(&total, computePrice)
	bill.FreeTier = sum(free)
	bill.Lines = append(bill.Lines, free...)
	if t.throttled > 0 {
		bill.Lines = append(bill.Lines, Line{Item: ItemThrottled, Description: throttledDescription,
			Quantity: text(apd.New(t.throttled, 0)), Unit: unitRequests, UnitPrice: "0", Exact: "0", Amount: "0.00"})
	}
	var tot apd.Decimal
	add(&tot, dec(bill.Subtotal), dec(bill.FreeTier))
	bill.Total = cents(&tot).Text('f')
	return bill
}

// charges are f's request, compute and provisioned lines; the compute and
// provisioned lines only when there is some.
func (b *Builder) charges(f *fnSum, computePrice Price) []Line {
	perRequest := quo(&b.prices.RequestsPerMillion.d, apd.New(requestsPerMillion, 0))
	lines := []Line{line(ItemRequests, "requests", apd.New(f.requests, 0), unitRequests, perRequest)}
	lines = append(lines, line(ItemCompute, "compute ("+b.arch+")", gbs(&f.mbMs), unitGBs, &computePrice.d))
	if !f.provMbMs.IsZero() {
		lines = append(lines, line(ItemProvisioned, "provisioned concurrency", gbs(&f.provMbMs), unitGBs, &b.prices.ProvisionedGBSecond.d))
	}
	return lines
}

// freeTier is the tenant's deductions: as many of its requests and
// on-demand GB-seconds as the free tier covers, at their prices.
func (b *Builder) freeTier(total *fnSum, computePrice Price) []Line {
	var out []Line
	if b.prices.FreeRequests > 0 {
		n := min(total.requests, b.prices.FreeRequests)
		perRequest := quo(&b.prices.RequestsPerMillion.d, apd.New(requestsPerMillion, 0))
		out = append(out, deduction(line(ItemFreeRequests, "free tier: requests", apd.New(n, 0), unitRequests, perRequest)))
	}
	if b.prices.FreeGBSeconds > 0 {
		used := gbs(&total.mbMs)
		q := apd.New(b.prices.FreeGBSeconds, 0)
		if used.Cmp(q) < 0 {
			q = used
		}
		out = append(out, deduction(line(ItemFreeCompute, "free tier: compute", q, unitGBs, &computePrice.d)))
	}
	return out
}

// SumAmounts adds the bills' totals (bills of the same currency).
func SumAmounts(bills []Bill) (string, error) {
	var s apd.Decimal
	for _, b := range bills {
		d, _, err := apd.NewFromString(b.Total)
		if err != nil {
			return "", fmt.Errorf("billing: total %q of %s: %w", b.Total, b.Tenant, err)
		}
		add(&s, &s, d)
	}
	return cents(&s).Text('f'), nil
}
