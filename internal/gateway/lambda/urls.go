package lambda

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Function URL configuration: Create/Get/Update/Delete/ListFunctionUrlConfigs.
// The URL itself is served path-based at /url/<id>/ (see furl.go).

func (g *API) urlRoutes(mux wire.Mux, auth wire.Auth) {
	const u = "/2021-10-31/functions/{name}/url"
	mux.HandleFunc("POST "+u, auth(g.lambdaCreateURL))
	mux.HandleFunc("GET "+u, auth(g.lambdaGetURL))
	mux.HandleFunc("PUT "+u, auth(g.lambdaUpdateURL))
	mux.HandleFunc("DELETE "+u, auth(g.lambdaDeleteURL))
	mux.HandleFunc("GET /2021-10-31/functions/{name}/urls", auth(g.lambdaListURLs))
}

type urlRequest struct {
	AuthType   *string         `json:"AuthType"`
	InvokeMode *string         `json:"InvokeMode"`
	Cors       json.RawMessage `json:"Cors"`
}

func (g *API) urlJSON(r *http.Request, f *fn.Function) map[string]any {
	u := f.URL
	out := map[string]any{
		"FunctionUrl":      baseURL(r) + "/url/" + u.ID + "/",
		"FunctionArn":      fn.ARN(f.Tenant, f.Name, u.Qualifier),
		"AuthType":         u.AuthType,
		"InvokeMode":       u.InvokeMode,
		"CreationTime":     u.Created.Format(lambdaTime),
		"LastModifiedTime": u.Modified.Format(lambdaTime),
	}
	if len(u.Cors) > 0 {
		out["Cors"] = u.Cors
	}
	return out
}

func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func checkURLSettings(u *fn.FunctionURL) error {
	if u.AuthType != "NONE" && u.AuthType != "AWS_IAM" {
		return fn.InvalidParameter("AuthType %q is invalid: use NONE or AWS_IAM", u.AuthType)
	}
	if u.InvokeMode != "BUFFERED" {
		return fn.InvalidParameter("InvokeMode %q is not supported: use BUFFERED", u.InvokeMode)
	}
	return nil
}

// urlQualifier accepts no qualifier ($LATEST) or an alias, as Lambda does.
func (g *API) urlQualifier(r *http.Request, tenant, name string) (string, error) {
	q := r.URL.Query().Get("Qualifier")
	if q == "" || q == fn.LatestVersion {
		return "", nil
	}
	if fn.IsVersionNumber(q) {
		return "", fn.InvalidParameter("a function URL points at $LATEST or an alias, not at version %s", q)
	}
	_, err := g.reg.GetAlias(r.Context(), tenant, name, q)
	return q, err
}

func (g *API) lambdaCreateURL(w http.ResponseWriter, r *http.Request, tenant string) {
	var req urlRequest
	err := decodeLambda(w, r, 1<<16, &req)
	var name, q string
	if err == nil {
		name, err = g.functionNameOnly(r, tenant)
	}
	if err == nil {
		q, err = g.urlQualifier(r, tenant, name)
	}
	if err == nil && req.AuthType == nil {
		err = fn.InvalidParameter("AuthType is missing: use NONE or AWS_IAM")
	}
	if err == nil {
		_, err = wire.ParseCORS(req.Cors)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	now := time.Now().UTC()
	u := &fn.FunctionURL{ID: urlID(), Qualifier: q, AuthType: *req.AuthType, InvokeMode: "BUFFERED", Cors: wire.StoredCORS(req.Cors), Created: now, Modified: now}
	if req.InvokeMode != nil {
		u.InvokeMode = *req.InvokeMode
	}
	if err := checkURLSettings(u); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	f, err := g.dep.Mutate(r.Context(), tenant, name, func(f *fn.Function) error {
		if f.URL != nil {
			return fn.Errorf(http.StatusConflict, fn.TypeResourceConflict, "Failed to create function url config for [functionArn = %s]. Error message: FunctionUrlConfig exists for this Lambda function", f.ARN())
		}
		// The index first: a URL recorded on the function always resolves.
		if err := g.reg.PutURL(r.Context(), u.ID, fn.URLRef{Tenant: tenant, Function: name, Qualifier: q, AuthType: u.AuthType}); err != nil {
			return err
		}
		f.URL = u
		return nil
	})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusCreated, g.urlJSON(r, f))
}

func (g *API) lambdaGetURL(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err == nil && f.URL == nil {
		err = fn.NotFound("The resource you requested does not exist: %s has no function URL", f.Name)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, g.urlJSON(r, f))
}

func (g *API) lambdaListURLs(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	list := []map[string]any{}
	if f.URL != nil {
		list = append(list, g.urlJSON(r, f))
	}
	wire.JSON(w, http.StatusOK, map[string]any{"FunctionUrlConfigs": list})
}

func (g *API) lambdaUpdateURL(w http.ResponseWriter, r *http.Request, tenant string) {
	var req urlRequest
	err := decodeLambda(w, r, 1<<16, &req)
	var name string
	if err == nil {
		name, err = g.functionNameOnly(r, tenant)
	}
	if err == nil {
		_, err = wire.ParseCORS(req.Cors)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	f, err := g.dep.Mutate(r.Context(), tenant, name, func(f *fn.Function) error {
		if f.URL == nil {
			return fn.NotFound("The resource you requested does not exist: %s has no function URL", f.Name)
		}
		u := *f.URL
		if req.AuthType != nil {
			u.AuthType = *req.AuthType
		}
		if req.InvokeMode != nil {
			u.InvokeMode = *req.InvokeMode
		}
		if req.Cors != nil {
			u.Cors = wire.StoredCORS(req.Cors)
		}
		u.Modified = time.Now().UTC()
		if err := checkURLSettings(&u); err != nil {
			return err
		}
		if err := g.reg.PutURL(r.Context(), u.ID, fn.URLRef{Tenant: tenant, Function: name, Qualifier: u.Qualifier, AuthType: u.AuthType}); err != nil {
			return err
		}
		f.URL = &u
		return nil
	})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, g.urlJSON(r, f))
}

func (g *API) lambdaDeleteURL(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.functionNameOnly(r, tenant)
	if err == nil {
		_, err = g.dep.Mutate(r.Context(), tenant, name, func(f *fn.Function) error {
			if f.URL == nil {
				return fn.NotFound("The resource you requested does not exist: %s has no function URL", f.Name)
			}
			if err := g.reg.DeleteURL(r.Context(), f.URL.ID); err != nil {
				return err
			}
			f.URL = nil
			return nil
		})
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// urlID is 32 random lower-case letters and digits, like Lambda's url-id.
func urlID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [32]byte
	_, _ = rand.Read(b[:])
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()
}
