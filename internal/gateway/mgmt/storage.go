package mgmt

import (
	"net/http"

	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// storage is GET /v1/storage: bytes per store and per tenant for the admin
// key; a tenant's key sees its own row only.
func (g *API) storage(w http.ResponseWriter, r *http.Request, tenant string) {
	s, err := g.ctl.Storage(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, s)
}
