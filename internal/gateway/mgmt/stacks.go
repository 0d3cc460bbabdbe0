package mgmt

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/stack"
)

// Stacks is what /v1/stacks serves (stack.Engine).
type Stacks interface {
	Deploy(ctx context.Context, tenant string, req stack.DeployRequest) (*stack.Stack, error)
	Get(ctx context.Context, tenant, name string) (*stack.Stack, error)
	List(ctx context.Context, tenant string) ([]*stack.Stack, error)
	Delete(ctx context.Context, tenant, name string, caller stack.Caller) error
}

var _ Stacks = (*stack.Engine)(nil)

// StackDeployBody is POST /v1/stacks/{name}'s JSON: the template's text,
// parameter overrides and the zip of each CodeUri directory (base64).
type StackDeployBody struct {
	Template   string            `json:"template"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Code       map[string][]byte `json:"code,omitempty"`
	DryRun     bool              `json:"dry_run,omitempty"`
}

// registerStacks adds /v1/stacks when the engine is wired.
func (g *API) registerStacks(mux wire.Mux, auth wire.Auth) {
	if g.cfg.Stacks == nil {
		return
	}
	mux.HandleFunc("POST /v1/stacks/{name}", auth(g.deployStack))
	mux.HandleFunc("GET /v1/stacks", auth(g.listStacks))
	mux.HandleFunc("GET /v1/stacks/{name}", auth(g.getStack))
	mux.HandleFunc("DELETE /v1/stacks/{name}", auth(g.deleteStack))
}

func (g *API) deployStack(w http.ResponseWriter, r *http.Request, tenant string) {
	var body StackDeployBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, wire.MaxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			`could not parse the stack deploy as JSON {"template": TEXT, "parameters": {K: V}, "code": {CODEURI: BASE64-ZIP}, "dry_run": false}: %v`, err))
		return
	}
	p := wire.PrincipalOf(r.Context())
	s, err := g.cfg.Stacks.Deploy(r.Context(), tenant, stack.DeployRequest{
		Name: r.PathValue("name"), Template: []byte(body.Template), Parameters: body.Parameters,
		Code: body.Code, DryRun: body.DryRun, Caller: stack.Caller{Scope: p.Scope, Permissions: p.Permissions},
	})
	if err != nil {
		if s != nil { // it ran and failed: the record says what was put back
			fe := fn.AsError(err)
			if fe == nil {
				fe = fn.Errorf(http.StatusBadRequest, stack.ValidationError, "%s", err.Error())
			}
			w.Header().Set("X-Amzn-ErrorType", fe.Type)
			wire.JSON(w, fe.Status, map[string]any{"__type": fe.Type, "message": fe.Message, "stack": s})
			return
		}
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, s)
}

func (g *API) listStacks(w http.ResponseWriter, r *http.Request, tenant string) {
	list, err := g.cfg.Stacks.List(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if list == nil {
		list = []*stack.Stack{}
	}
	wire.JSON(w, http.StatusOK, map[string]any{"stacks": list})
}

func (g *API) getStack(w http.ResponseWriter, r *http.Request, tenant string) {
	s, err := g.cfg.Stacks.Get(r.Context(), tenant, r.PathValue("name"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, s)
}

func (g *API) deleteStack(w http.ResponseWriter, r *http.Request, tenant string) {
	p := wire.PrincipalOf(r.Context())
	if err := g.cfg.Stacks.Delete(r.Context(), tenant, r.PathValue("name"), stack.Caller{Scope: p.Scope, Permissions: p.Permissions}); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
