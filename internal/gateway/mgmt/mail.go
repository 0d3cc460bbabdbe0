package mgmt

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// registerMail adds /v1/mail: the caller's mail routes and the raw
// messages stored for it.
func (g *API) registerMail(mux wire.Mux, auth wire.Auth) {
	if g.cfg.Mail == nil {
		return
	}
	mux.HandleFunc("POST /v1/mail/routes", auth(g.addMailRoute))
	mux.HandleFunc("GET /v1/mail/routes", auth(g.listMailRoutes))
	mux.HandleFunc("DELETE /v1/mail/routes/{recipient}", auth(g.removeMailRoute))
	mux.HandleFunc("GET /v1/mail/messages/{id}", auth(g.getMailMessage))
}

// mailRouteInput is POST /v1/mail/routes's body; function may be
// NAME:QUALIFIER.
type mailRouteInput struct {
	Recipient string `json:"recipient"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
}

func (g *API) addMailRoute(w http.ResponseWriter, r *http.Request, tenant string) {
	var in mailRouteInput
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			`could not parse the mail route as JSON {"recipient":"help@example.com or @example.com","function":"NAME[:ALIAS]"}: %v`, err))
		return
	}
	name, qualifier := wire.FunctionName(in.Function)
	if in.Qualifier != "" {
		qualifier = in.Qualifier
	}
	err := wire.CheckName(in.Function, name, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	route, err := g.cfg.Mail.AddRoute(r.Context(), tenant, in.Recipient, name, qualifier)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusCreated, route)
}

func (g *API) listMailRoutes(w http.ResponseWriter, r *http.Request, tenant string) {
	routes, err := g.cfg.Mail.ListRoutes(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]any{"routes": routes})
}

func (g *API) removeMailRoute(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := g.cfg.Mail.RemoveRoute(r.Context(), tenant, r.PathValue("recipient")); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (g *API) getMailMessage(w http.ResponseWriter, r *http.Request, tenant string) {
	raw, err := g.cfg.Mail.Message(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	_, _ = w.Write(raw)
}
