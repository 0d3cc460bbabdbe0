package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// concurrencyRoutes adds the scaling endpoints and GET /metrics.
func (g *Gateway) concurrencyRoutes(mux *http.ServeMux, auth func(tenantHandler) http.HandlerFunc) {
	mux.HandleFunc("GET /v1/functions/{name}/concurrency", auth(g.getConcurrency))
	mux.HandleFunc("PUT /v1/functions/{name}/concurrency", auth(g.putConcurrency))
	mux.HandleFunc("DELETE /v1/functions/{name}/concurrency", auth(g.deleteConcurrency))
	mux.HandleFunc("GET /v1/functions/{name}/instances", auth(g.instances))
	if g.mx != nil {
		h := g.mx.Handler()
		// Platform-wide counters without function names or tenants in
		// their labels: served without a key, like /healthz, on the API's
		// (by default loopback) listener.
		mux.Handle("GET /metrics", h)
	}
}

func (g *Gateway) getConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	cc, err := g.ctl.GetConcurrency(r.Context(), tenant, r.PathValue("name"))
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, cc)
}

func (g *Gateway) putConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	var cc fn.Concurrency
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cc); err != nil {
		writeError(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			`could not parse the concurrency request as JSON {"reserved":N,"provisioned":{"$LATEST":N},"max_instances":N}: %v`, err))
		return
	}
	name := r.PathValue("name")
	if err := g.ctl.PutConcurrency(r.Context(), tenant, name, cc, true); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("concurrency set", "tenant", tenant, "fn", name, "provisioned", cc.Provisioned.String())
	writeJSON(w, http.StatusOK, cc)
}

func (g *Gateway) deleteConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.ctl.DeleteConcurrency(r.Context(), tenant, r.PathValue("name")); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (g *Gateway) instances(w http.ResponseWriter, r *http.Request, tenant string) {
	out, err := g.ctl.Instances(r.Context(), tenant, r.PathValue("name"))
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
