package mgmt

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/httpapi"
)

// routeRoutes adds /v1/routes (HTTP API routes) and /v1/route-keys (their
// API keys and usage plans); without a routes service they are not offered.
func (g *API) routeRoutes(mux wire.Mux, auth wire.Auth) {
	if g.cfg.Routes == nil {
		return
	}
	mux.HandleFunc("GET /v1/routes", auth(g.listRoutes))
	mux.HandleFunc("POST /v1/routes", auth(g.putRoute))
	mux.HandleFunc("DELETE /v1/routes", auth(g.deleteRoute))
	mux.HandleFunc("GET /v1/route-keys", auth(g.listRouteKeys))
	mux.HandleFunc("POST /v1/route-keys", auth(g.createRouteKey))
	mux.HandleFunc("DELETE /v1/route-keys/{id}", auth(g.deleteRouteKey))
	mux.HandleFunc("GET /v1/route-cors", auth(g.getRouteCORS))
	mux.HandleFunc("PUT /v1/route-cors", auth(g.putRouteCORS))
	mux.HandleFunc("DELETE /v1/route-cors", auth(g.deleteRouteCORS))
}

// getRouteCORS is GET /v1/route-cors: the API-wide CORS configuration
// ({"cors": null} when none).
func (g *API) getRouteCORS(w http.ResponseWriter, r *http.Request, tenant string) {
	a, err := g.cfg.Routes.Settings(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"cors": a.CORS})
}

// putRouteCORS is PUT /v1/route-cors with a CORS configuration: it applies
// to every route without one of its own.
func (g *API) putRouteCORS(w http.ResponseWriter, r *http.Request, tenant string) {
	var c httpapi.CORS
	if err := decodeBody(w, r, 64<<10, &c); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if err := g.cfg.Routes.SetCORS(r.Context(), tenant, &c); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"cors": c})
}

// deleteRouteCORS is DELETE /v1/route-cors.
func (g *API) deleteRouteCORS(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.cfg.Routes.SetCORS(r.Context(), tenant, nil); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not parse the request as JSON: %v", err)
	}
	return nil
}

// listRoutes is GET /v1/routes: {"routes": [...]}.
func (g *API) listRoutes(w http.ResponseWriter, r *http.Request, tenant string) {
	routes, err := g.cfg.Routes.List(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"routes": routes})
}

// putRoute is POST /v1/routes: creates or replaces the route with the
// body's routeKey, after checking it and that its functions exist.
func (g *API) putRoute(w http.ResponseWriter, r *http.Request, tenant string) {
	var rt httpapi.Route
	if err := decodeBody(w, r, 1<<20, &rt); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	rt.Tenant, rt.Owner, rt.Created = tenant, "", rt.Created.UTC()
	name, _ := wire.FunctionName(rt.Function)
	if err := wire.CheckName(rt.Function, name, tenant); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	rt.Function = name
	for _, f := range []string{rt.Function, authorizerName(rt.Auth)} {
		if f == "" {
			continue
		}
		if _, err := g.reg.GetFunction(r.Context(), tenant, f); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
	}
	if old, err := g.cfg.Routes.Get(r.Context(), tenant, rt.Key); err == nil {
		rt.Created = old.Created
	}
	out, err := g.cfg.Routes.Put(r.Context(), rt)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("route stored", "tenant", tenant, "route", out.Key, "fn", out.Function)
	wire.JSON(w, http.StatusCreated, out)
}

func authorizerName(a httpapi.Auth) string {
	if a.Type != httpapi.AuthFunction {
		return ""
	}
	name, _, _ := strings.Cut(a.Function, ":")
	return name
}

// deleteRoute is DELETE /v1/routes?routeKey=METHOD%20/path.
func (g *API) deleteRoute(w http.ResponseWriter, r *http.Request, tenant string) {
	key := r.URL.Query().Get("routeKey")
	if key == "" {
		wire.Error(w, g.cfg.Log, fn.InvalidParameter("name the route with ?routeKey=METHOD /path"))
		return
	}
	if err := g.cfg.Routes.Delete(r.Context(), tenant, key); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listRouteKeys is GET /v1/route-keys: {"keys": [...]}, without values.
func (g *API) listRouteKeys(w http.ResponseWriter, _ *http.Request, tenant string) {
	wire.JSON(w, http.StatusOK, map[string]any{"keys": g.cfg.Routes.ListKeys(tenant)})
}

// createRouteKey is POST /v1/route-keys {"rate", "burst", "quotaPerDay"}:
// the new key with its value, shown this once.
func (g *API) createRouteKey(w http.ResponseWriter, r *http.Request, tenant string) {
	var plan httpapi.APIKey
	if err := decodeBody(w, r, 4096, &plan); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	k, err := g.cfg.Routes.CreateKey(r.Context(), tenant, plan)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("route API key created", "tenant", tenant, "id", k.ID)
	wire.JSON(w, http.StatusCreated, k)
}

// deleteRouteKey is DELETE /v1/route-keys/{id}.
func (g *API) deleteRouteKey(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.cfg.Routes.DeleteKey(r.Context(), tenant, r.PathValue("id")); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
