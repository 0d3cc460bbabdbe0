package mgmt

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Keys: a tenant's admin keys manage that tenant's keys; the platform
// admin (an admin key of the default tenant) manages every tenant's. The
// scope check (admin) is the gateway's (restauthz.go); which tenant is here.

// platformAdmin reports whether the request's key is the platform's
// administrator's.
func platformAdmin(r *http.Request) bool {
	p := wire.PrincipalOf(r.Context())
	return p.Tenant == registry.DefaultTenant && p.Scope == fn.ScopeAdmin && p.Function == ""
}

// targetTenant is the tenant a request names (?tenant= or a body field)
// when the caller may act for it: its own, or any for the platform admin.
// Another tenant's, for anyone else, does not exist (404).
func targetTenant(r *http.Request, own, named string) (string, error) {
	if named == "" || named == own {
		return own, nil
	}
	if !platformAdmin(r) {
		return "", registry.TenantNotFound(named)
	}
	return named, nil
}

// createKey is POST /v1/keys: a new API key and access key pair.
func (g *API) createKey(w http.ResponseWriter, r *http.Request, tenant string) {
	var body struct {
		Tenant      string `json:"tenant"`
		Scope       string `json:"scope"`
		Description string `json:"description"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			"could not parse the key request as JSON: %v", err))
		return
	}
	target, err := targetTenant(r, tenant, body.Tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	k, err := g.reg.CreateKey(r.Context(), registry.KeySpec{Tenant: target, Scope: body.Scope, Description: body.Description})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("key created", "tenant", target, "access_key_id", k.AccessKeyID, "scope", k.Scope, "by", wire.PrincipalOf(r.Context()).KeyID)
	wire.JSON(w, http.StatusCreated, k)
}

// listKeys is GET /v1/keys[?tenant=T|?all=true]: keys without secrets.
func (g *API) listKeys(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	target, err := targetTenant(r, tenant, q.Get("tenant"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if q.Get("all") == "true" {
		if !platformAdmin(r) {
			wire.Error(w, g.cfg.Log, fn.AccessDenied("only the platform's admin key lists every tenant's keys"))
			return
		}
		target = ""
	}
	keys, err := g.reg.ListKeys(r.Context(), target)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// revokeKey is DELETE /v1/keys/{id}: the key's API key and access key pair
// stop working at once, on every node.
func (g *API) revokeKey(w http.ResponseWriter, r *http.Request, tenant string) {
	target := tenant
	if platformAdmin(r) {
		target = "" // any tenant's
	}
	id := r.PathValue("id")
	if err := g.reg.RevokeKey(r.Context(), target, id); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("key revoked", "id", id, "by", wire.PrincipalOf(r.Context()).KeyID)
	w.WriteHeader(http.StatusNoContent)
}
