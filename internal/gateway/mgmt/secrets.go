package mgmt

import (
	"errors"
	"io"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Secrets: PUT /v1/secrets/{name} with the value as the raw body sets one;
// GET /v1/secrets lists names and sizes; DELETE /v1/secrets/{name} removes
// one. No reply ever holds a value, and values are never logged.

func (g *API) putSecret(w http.ResponseWriter, r *http.Request, tenant string) {
	value, err := io.ReadAll(http.MaxBytesReader(w, r.Body, registry.MaxSecretBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("a secret's value is at most %d bytes", registry.MaxSecretBytes))
			return
		}
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not read the secret's value: %v", err))
		return
	}
	info, err := g.reg.SetSecret(r.Context(), tenant, r.PathValue("name"), value)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("secret set", "tenant", tenant, "secret", info.Name, "by", wire.PrincipalOf(r.Context()).KeyID)
	wire.JSON(w, http.StatusOK, info)
}

func (g *API) listSecrets(w http.ResponseWriter, r *http.Request, tenant string) {
	list, err := g.reg.ListSecrets(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"secrets": list})
}

func (g *API) deleteSecret(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.reg.DeleteSecret(r.Context(), tenant, r.PathValue("name")); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("secret deleted", "tenant", tenant, "secret", r.PathValue("name"))
	w.WriteHeader(http.StatusNoContent)
}
