package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
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
	body, err := decodeStackDeploy(w, r)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
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

// decodeStackDeploy reads a stack deploy: JSON (StackDeployBody, the zips
// in base64), or multipart/form-data as the CLI sends it, which carries
// the zips as they are: a part named "stack" with the JSON less its code,
// then one part named "code" per CodeUri, the CodeUri in its Code-Uri
// header.
func decodeStackDeploy(w http.ResponseWriter, r *http.Request) (StackDeployBody, error) {
	var body StackDeployBody
	rd := http.MaxBytesReader(w, r.Body, wire.MaxRequestBody)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		dec := json.NewDecoder(rd)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return body, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
				`could not parse the stack deploy as JSON {"template": TEXT, "parameters": {K: V}, "code": {CODEURI: BASE64-ZIP}, "dry_run": false}: %v`, err)
		}
		return body, nil
	}
	bad := func(format string, args ...any) error {
		return fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "stack deploy (multipart/form-data): "+format, args...)
	}
	mr := multipart.NewReader(rd, params["boundary"])
	seen := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return body, bad("%v", err)
		}
		switch part.FormName() {
		case "stack":
			dec := json.NewDecoder(part)
			dec.DisallowUnknownFields()
			var head StackDeployBody
			if err := dec.Decode(&head); err != nil {
				return body, bad(`the "stack" part is not JSON {"template": TEXT, "parameters": {K: V}, "dry_run": false}: %v`, err)
			}
			code := body.Code
			body, seen = head, true
			if body.Code == nil {
				body.Code = code
			}
		case "code":
			uri := part.Header.Get("Code-Uri")
			if uri == "" {
				return body, bad(`a "code" part without its Code-Uri header`)
			}
			zip, err := io.ReadAll(part)
			if err != nil {
				return body, bad("code of %s: %v", uri, err)
			}
			if body.Code == nil {
				body.Code = map[string][]byte{}
			}
			body.Code[uri] = zip
		default:
			return body, bad("unknown part %q: send \"stack\" and \"code\" parts", part.FormName())
		}
	}
	if !seen {
		return body, bad(`no "stack" part`)
	}
	return body, nil
}
