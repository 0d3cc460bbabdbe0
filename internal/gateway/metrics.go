package gateway

import (
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// registerMetrics serves GET /metrics: open with Config.MetricsPublic;
// otherwise every series to a key of the default tenant with the admin or
// read scope, and only its own tenant's series to any other tenant's key
// (or a default-tenant key of another scope that may read). A key that may
// not read (scope invoke) gets 403, no key 401.
func (g *Gateway) registerMetrics(mux *http.ServeMux) {
	all := g.mx.Handler()
	if g.cfg.MetricsPublic {
		mux.Handle("GET /metrics", all)
		return
	}
	mux.HandleFunc("GET /metrics", g.authed(func(w http.ResponseWriter, r *http.Request, tenant string) {
		p := wire.PrincipalOf(r.Context())
		if p.Function != "" {
			wire.Error(w, g.cfg.Log, fn.AccessDenied("function credentials may not read /metrics: use an API key with the read or admin scope"))
			return
		}
		if platformReader(p) {
			all.ServeHTTP(w, r)
			return
		}
		g.mx.TenantHandler(tenant).ServeHTTP(w, r)
	}))
}

// platformReader reports whether p sees every tenant's series and the
// platform's own.
func platformReader(p wire.Principal) bool {
	return p.Tenant == registry.DefaultTenant && (p.Scope == fn.ScopeAdmin || p.Scope == fn.ScopeRead)
}
