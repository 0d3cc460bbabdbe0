package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/updraft-dev/updraft/internal/fn"
)

// BillLine is one item of a bill (internal/billing.Line): exact decimals
// as strings, Amount rounded to the cent.
type BillLine struct {
	Item        string `json:"item"`
	Description string `json:"description"`
	Quantity    string `json:"quantity"`
	Unit        string `json:"unit"`
	UnitPrice   string `json:"unit_price"`
	Exact       string `json:"exact"`
	Amount      string `json:"amount"`
}

// FunctionBill is one function's share of a bill, before the free tier.
type FunctionBill struct {
	Function    string     `json:"function"`
	Requests    int64      `json:"requests"`
	Errors      int64      `json:"errors"`
	ColdStarts  int64      `json:"cold_starts"`
	BilledMs    int64      `json:"billed_ms"`
	GBs         string     `json:"gb_s"`
	Provisioned string     `json:"provisioned_gb_s"`
	Lines       []BillLine `json:"lines"`
	Subtotal    string     `json:"subtotal"`
}

// Bill is a tenant's bill of a month (GET /v1/billing).
type Bill struct {
	Tenant       string         `json:"tenant"`
	Month        string         `json:"month"`
	Currency     string         `json:"currency"`
	Architecture string         `json:"architecture"`
	Requests     int64          `json:"requests"`
	GBs          string         `json:"gb_s"`
	Throttled    int64          `json:"throttled"`
	Lines        []BillLine     `json:"lines"`
	Subtotal     string         `json:"subtotal"`
	FreeTier     string         `json:"free_tier"`
	Total        string         `json:"total"`
	Functions    []FunctionBill `json:"functions"`
}

// Bills is every tenant's bill of a month (GET /v1/billing?all=true).
type Bills struct {
	Month    string `json:"month"`
	Currency string `json:"currency"`
	Total    string `json:"total"`
	Bills    []Bill `json:"bills"`
}

// Bill returns tenant's bill of month ("2026-11"; "": this month, UTC).
// tenant "" is the key's own; another tenant's needs the platform
// admin's key (anyone else gets a 404).
func (c *Client) Bill(ctx context.Context, tenant, month string) (*Bill, error) {
	q := url.Values{}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	if month != "" {
		q.Set("month", month)
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/billing", q, nil)
	if err != nil {
		return nil, err
	}
	out := new(Bill)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// AllBills returns every tenant's bill of month (platform admin only).
func (c *Client) AllBills(ctx context.Context, month string) (*Bills, error) {
	q := url.Values{"all": {"true"}}
	if month != "" {
		q.Set("month", month)
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/billing", q, nil)
	if err != nil {
		return nil, err
	}
	out := new(Bills)
	if _, err := c.doJSON(req, out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// TenantUsage is one tenant's usage per function.
type TenantUsage struct {
	Tenant    string            `json:"tenant"`
	Functions []fn.UsageSummary `json:"functions"`
}

// UsageOf is Usage of another tenant (platform admin only; "" is the
// key's own).
func (c *Client) UsageOf(ctx context.Context, tenant, function, since string) ([]fn.UsageSummary, error) {
	q := usageQuery(function, since)
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/usage", q, nil)
	if err != nil {
		return nil, err
	}
	out := []fn.UsageSummary{}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	if out == nil {
		out = []fn.UsageSummary{}
	}
	return out, nil
}

// AllUsage is every tenant's usage per function (platform admin only).
func (c *Client) AllUsage(ctx context.Context, function, since string) ([]TenantUsage, error) {
	q := usageQuery(function, since)
	q.Set("all", "true")
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/usage", q, nil)
	if err != nil {
		return nil, err
	}
	out := []TenantUsage{}
	if _, err := c.doJSON(req, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

func usageQuery(function, since string) url.Values {
	q := url.Values{}
	if function != "" {
		q.Set("function", function)
	}
	if since != "" {
		q.Set("since", since)
	}
	return q
}
