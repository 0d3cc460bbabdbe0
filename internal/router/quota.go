package router

import (
	"context"
	"fmt"

	"github.com/updraft-dev/updraft/internal/fn"
)

// checkQuota refuses a call of a tenant over its monthly invocation or
// compute quota (429 TooManyRequestsException, reason
// TenantQuotaExceeded). Tenants without such quotas cost nothing here.
func (r *Router) checkQuota(ctx context.Context, tenant string) error {
	if r.cfg.Quotas == nil || r.cfg.Month == nil {
		return nil
	}
	q := r.cfg.Quotas(tenant)
	if q.MaxInvocationsPerMonth == 0 && q.MaxGBSecondsPerMonth == 0 {
		return nil
	}
	inv, gbs, err := r.cfg.Month.Totals(ctx, tenant)
	if err != nil {
		return fmt.Errorf("router: usage of tenant %s this month: %w", tenant, err)
	}
	if q.MaxInvocationsPerMonth > 0 && inv >= q.MaxInvocationsPerMonth {
		return quotaExceeded("invocations", float64(inv), float64(q.MaxInvocationsPerMonth))
	}
	if q.MaxGBSecondsPerMonth > 0 && gbs >= q.MaxGBSecondsPerMonth {
		return quotaExceeded("GB-seconds", gbs, q.MaxGBSecondsPerMonth)
	}
	return nil
}

func quotaExceeded(what string, used, limit float64) error {
	return fn.QuotaExceeded("Rate Exceeded: the account used %g %s this month, its quota is %g: ask the platform's administrator to raise it (updraft tenant set --max-…)", used, what, limit)
}
