package mgmt

import (
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// TenantUsage is one tenant's usage in GET /v1/usage?all=true.
type TenantUsage struct {
	Tenant    string            `json:"tenant"`
	Functions []fn.UsageSummary `json:"functions"`
}

// usage is GET /v1/usage?function=NAME&since=1h[&tenant=T|&all=true]: the
// usage per function of the caller's tenant, of a tenant the platform
// admin names (anyone else naming another tenant gets 404), or with
// all=true (platform admin only) of every tenant: [TenantUsage…].
func (g *API) usage(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	since, err := wire.ParseSince(q.Get("since"), time.Now())
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	name := q.Get("function")
	if name != "" {
		if err := fn.ValidateName(name); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
	}
	all, err := allParam(q.Get("all"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if all && !g.adminOnly(w, r) {
		return
	}
	var targets []string
	if all {
		targets, err = g.tenantNames(r.Context())
	} else {
		var target string
		target, err = g.existingTarget(r, tenant, q.Get("tenant"))
		targets = []string{target}
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if err := g.meter.Flush(r.Context()); err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	out := make([]TenantUsage, 0, len(targets))
	for _, t := range targets {
		sum, err := g.meter.Summary(r.Context(), t, name, since)
		if err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		if sum == nil {
			sum = []fn.UsageSummary{}
		}
		out = append(out, TenantUsage{Tenant: t, Functions: sum})
	}
	if !all {
		wire.JSON(w, http.StatusOK, out[0].Functions)
		return
	}
	wire.JSON(w, http.StatusOK, out)
}
