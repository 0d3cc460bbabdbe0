package cli

import (
	"testing"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// exampleBill is docs/BILLING.md's example.
var exampleBill = apiclient.Bill{
	Tenant: "acme", Month: "2026-11", Currency: "USD", Architecture: "x86_64", Requests: 1250, GBs: "540000.125", Throttled: 3,
	Lines: []apiclient.BillLine{
		{Item: "requests", Description: "requests", Quantity: "1250", Unit: "requests", UnitPrice: "0.0000002", Exact: "0.00025", Amount: "0.00"},
		{Item: "compute", Description: "compute (x86_64)", Quantity: "540000.125", Unit: "GB-s", UnitPrice: "0.0000166667", Exact: "9.0000200833375", Amount: "9.00"},
		{Item: "free_tier_requests", Description: "free tier: requests", Quantity: "1250", Unit: "requests", UnitPrice: "0.0000002", Exact: "-0.00025", Amount: "0.00"},
		{Item: "free_tier_compute", Description: "free tier: compute", Quantity: "400000", Unit: "GB-s", UnitPrice: "0.0000166667", Exact: "-6.66668", Amount: "-6.67"},
		{Item: "throttled", Description: "throttled calls (not billed)", Quantity: "3", Unit: "requests", UnitPrice: "0", Exact: "0", Amount: "0.00"},
	},
	Subtotal: "9.00", FreeTier: "-6.67", Total: "2.33",
	Functions: []apiclient.FunctionBill{
		{Function: "ping", Requests: 1000, BilledMs: 1000, GBs: "0.125", Provisioned: "0", Subtotal: "0.00"},
		{Function: "resize", Requests: 50, BilledMs: 45000000, GBs: "450000", Provisioned: "0", Subtotal: "7.50"},
		{Function: "thumb", Requests: 200, BilledMs: 60000000, GBs: "90000", Provisioned: "0", Subtotal: "1.50"},
	},
}

func TestBillText(t *testing.T) {
	srv := newAPI(t)
	srv.reply("GET /v1/billing", 200, exampleBill)
	r := run(t, srv, opts{}, "bill", "--tenant", "acme", "--month", "2026-11")
	r.want(t, 0, "total", "")
	golden(t, "bill", r.stdout)
	if q := srv.last(t).Query; q.Get("tenant") != "acme" || q.Get("month") != "2026-11" || q.Has("all") {
		t.Errorf("query %v", q)
	}

	srv.reply("GET /v1/usage", 200, []apiclient.TenantUsage{{Tenant: "acme"}})
	run(t, srv, opts{}, "usage", "--all", "-o", "json").want(t, 0, `"tenant": "acme"`, "")
	if q := srv.last(t).Query; q.Get("all") != "true" {
		t.Errorf("usage --all query %v", q)
	}

	run(t, srv, opts{}, "bill", "--month", "November").want(t, 2, "", "YYYY-MM")
	run(t, srv, opts{}, "bill", "--all", "--tenant", "acme").want(t, 2, "", "not both")
	run(t, srv, opts{}, "usage", "--all", "--tenant", "acme").want(t, 2, "", "not both")
	run(t, nil, opts{}, "bill", "--help").want(t, 0, "Examples:\n  updraft bill", "")
}
