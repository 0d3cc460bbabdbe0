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

// createKey is POST /v1/keys: a new API key and access key pair. A tenant
// makes keys for itself; only the default (admin) tenant makes keys for
// other tenants.
func (g *API) createKey(w http.ResponseWriter, r *http.Request, tenant string) {
	var body struct {
		Tenant string `json:"tenant"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			"could not parse the key request as JSON: %v", err))
		return
	}
	target := tenant
	if body.Tenant != "" && body.Tenant != tenant {
		if tenant != registry.DefaultTenant {
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusForbidden, fn.TypeAccessDenied,
				"tenant %s cannot create keys for tenant %s: use the admin key", tenant, body.Tenant))
			return
		}
		target = body.Tenant
	}
	k, err := g.reg.CreateKey(r.Context(), target)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("key created", "tenant", target, "access_key_id", k.AccessKeyID, "by", tenant)
	wire.JSON(w, http.StatusCreated, k)
}
