package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

func (g *API) getConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	cc, err := g.ctl.GetConcurrency(r.Context(), tenant, r.PathValue("name"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, cc)
}

func (g *API) putConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	var cc fn.Concurrency
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cc); err != nil {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			`could not parse the concurrency request as JSON {"reserved":N,"provisioned":{"$LATEST":N},"max_instances":N}: %v`, err))
		return
	}
	name := r.PathValue("name")
	if err := g.ctl.PutConcurrency(r.Context(), tenant, name, cc, true); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("concurrency set", "tenant", tenant, "fn", name, "provisioned", cc.Provisioned.String())
	wire.JSON(w, http.StatusOK, cc)
}

func (g *API) deleteConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.ctl.DeleteConcurrency(r.Context(), tenant, r.PathValue("name")); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (g *API) instances(w http.ResponseWriter, r *http.Request, tenant string) {
	out, err := g.ctl.Instances(r.Context(), tenant, r.PathValue("name"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, out)
}
