package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Tenants are the platform admin's: /v1/tenants answers 404 to anyone
// else, as if it were not there.

// TenantDeleter deletes a tenant: with force, everything it owns first;
// without, it refuses while the tenant owns resources (control.Tenants).
type TenantDeleter func(r *http.Request, name string, force bool) error

func (g *API) adminOnly(w http.ResponseWriter, r *http.Request) bool {
	if platformAdmin(r) {
		return true
	}
	wire.Error(w, g.cfg.Log, fn.NotFound("no such resource: %s %s", r.Method, r.URL.Path))
	return false
}

// createTenant is POST /v1/tenants {"name": ...}.
func (g *API) createTenant(w http.ResponseWriter, r *http.Request, _ string) {
	if !g.adminOnly(w, r) {
		return
	}
	var body struct {
		Name   string     `json:"name"`
		Quotas *fn.Quotas `json:"quotas"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	t, err := g.reg.CreateTenant(r.Context(), body.Name)
	if err == nil && body.Quotas != nil {
		t, err = g.setQuotas(r, body.Name, *body.Quotas)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("tenant created", "tenant", t.Name, "account", t.AccountID)
	wire.JSON(w, http.StatusCreated, t)
}

func (g *API) setQuotas(r *http.Request, name string, q fn.Quotas) (*registry.Tenant, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return g.reg.UpdateTenant(r.Context(), name, func(t *registry.Tenant) error {
		t.Quotas = q
		return nil
	})
}

// listTenants is GET /v1/tenants.
func (g *API) listTenants(w http.ResponseWriter, r *http.Request, _ string) {
	if !g.adminOnly(w, r) {
		return
	}
	ts, err := g.reg.ListTenants(r.Context())
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"tenants": ts})
}

// getTenant is GET /v1/tenants/{name}.
func (g *API) getTenant(w http.ResponseWriter, r *http.Request, _ string) {
	if !g.adminOnly(w, r) {
		return
	}
	t, err := g.reg.GetTenant(r.Context(), r.PathValue("name"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, t)
}

// putTenantQuotas is PUT /v1/tenants/{name}/quotas: the whole set.
func (g *API) putTenantQuotas(w http.ResponseWriter, r *http.Request, _ string) {
	if !g.adminOnly(w, r) {
		return
	}
	var q fn.Quotas
	if err := decodeJSON(w, r, &q); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	t, err := g.setQuotas(r, r.PathValue("name"), q)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, t)
}

// deleteTenant is DELETE /v1/tenants/{name}[?force=true].
func (g *API) deleteTenant(w http.ResponseWriter, r *http.Request, _ string) {
	if !g.adminOnly(w, r) {
		return
	}
	if g.cfg.DeleteTenant == nil {
		wire.Error(w, g.cfg.Log, fn.Unavailable("deleting tenants is not available on this server"))
		return
	}
	name := r.PathValue("name")
	if err := g.cfg.DeleteTenant(r, name, r.URL.Query().Get("force") == "true"); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("tenant deleted", "tenant", name)
	w.WriteHeader(http.StatusNoContent)
}

// decodeJSON reads a small JSON body strictly.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not parse the request as JSON: %v", err)
	}
	return nil
}
