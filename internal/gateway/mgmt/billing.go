package mgmt

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/billing"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Bills are made from the usage records when asked: nothing is stored but
// the records.

// AllBills is GET /v1/billing?all=true: every tenant's bill of a month.
type AllBills struct {
	Month    string         `json:"month"`
	Currency string         `json:"currency"`
	Total    string         `json:"total"`
	Bills    []billing.Bill `json:"bills"`
}

// billing is GET /v1/billing?month=2026-11[&tenant=T|&all=true]: the
// caller's tenant's bill of the month (default: this one, UTC); the
// platform admin names any tenant, or asks for all of them.
func (g *API) billing(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	month := billing.MonthOf(time.Now())
	if s := q.Get("month"); s != "" {
		m, err := billing.ParseMonth(s)
		if err != nil {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("%v", err))
			return
		}
		month = m
	}
	all, err := allParam(q.Get("all"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if all && !g.adminOnly(w, r) {
		return
	}
	targets := []string{}
	if all {
		if targets, err = g.tenantNames(r.Context()); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
	} else {
		target, err := g.existingTarget(r, tenant, q.Get("tenant"))
		if err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		targets = append(targets, target)
	}
	if err := g.meter.Flush(r.Context()); err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	prices := billing.DefaultPrices()
	if g.cfg.Prices != nil {
		prices = *g.cfg.Prices
	}
	b := billing.NewBuilder(prices, month, "")
	current := month == billing.MonthOf(time.Now())
	for _, t := range targets {
		if err := g.meter.AllRecords(r.Context(), t, "", month.Start(), func(u fn.Usage) error { b.Add(u); return nil }); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		// Throttles are counted in memory since the server started: they
		// are this month's only while it is this month.
		if current && g.cfg.Throttles != nil {
			b.AddThrottled(t, g.cfg.Throttles(t))
		}
	}
	if !all {
		wire.JSON(w, http.StatusOK, b.Bill(targets[0]))
		return
	}
	out := AllBills{Month: month.String(), Currency: prices.Currency, Bills: make([]billing.Bill, 0, len(targets))}
	for _, t := range targets {
		out.Bills = append(out.Bills, b.Bill(t))
	}
	total, err := billing.SumAmounts(out.Bills)
	if err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	out.Total = total
	wire.JSON(w, http.StatusOK, out)
}

// allParam reads ?all=: absent, true or false.
func allParam(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, fn.InvalidParameter("all must be true or false, not %q", s)
	}
	return v, nil
}

// existingTarget is targetTenant for reads of a tenant's usage: a tenant
// the platform admin names must exist (404 otherwise, as for anyone naming
// another tenant).
func (g *API) existingTarget(r *http.Request, own, named string) (string, error) {
	target, err := targetTenant(r, own, named)
	if err != nil || target == own {
		return target, err
	}
	if _, err := g.reg.GetTenant(r.Context(), target); err != nil {
		return "", err
	}
	return target, nil
}

// tenantNames lists every tenant, sorted as the registry keeps them.
func (g *API) tenantNames(ctx context.Context) ([]string, error) {
	ts, err := g.reg.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out, nil
}
