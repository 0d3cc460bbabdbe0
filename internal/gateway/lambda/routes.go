package lambda

import (
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Register adds Lambda's REST API to mux.
func (g *API) Register(mux wire.Mux, auth wire.Auth) {
	const f = "/2015-03-31/functions"
	mux.HandleFunc("POST "+f+"/{name}/invocations", auth(g.invoke))
	mux.HandleFunc("POST "+f, auth(g.lambdaCreateFunction))
	mux.HandleFunc("POST "+f+"/{$}", auth(g.lambdaCreateFunction))
	mux.HandleFunc("GET "+f, auth(g.lambdaListFunctions))
	mux.HandleFunc("GET "+f+"/{$}", auth(g.lambdaListFunctions))
	mux.HandleFunc("GET "+f+"/{name}", auth(g.lambdaGetFunction))
	mux.HandleFunc("DELETE "+f+"/{name}", auth(g.lambdaDeleteFunction))
	mux.HandleFunc("GET "+f+"/{name}/configuration", auth(g.lambdaGetFunctionConfiguration))
	mux.HandleFunc("PUT "+f+"/{name}/configuration", auth(g.lambdaUpdateFunctionConfiguration))
	mux.HandleFunc("PUT "+f+"/{name}/code", auth(g.lambdaUpdateFunctionCode))
	mux.HandleFunc("GET /2016-08-19/account-settings", auth(g.lambdaAccountSettings))
	mux.HandleFunc("GET /2016-08-19/account-settings/{$}", auth(g.lambdaAccountSettings))
	mux.HandleFunc("GET /2017-03-31/tags/{arn}", auth(g.lambdaListTags))
	mux.HandleFunc("POST /2017-03-31/tags/{arn}", auth(g.lambdaTagResource))
	mux.HandleFunc("DELETE /2017-03-31/tags/{arn}", auth(g.lambdaUntagResource))
	mux.HandleFunc("GET /v1/functions/{name}/code", auth(g.functionCode))
	g.versionRoutes(mux, auth)
	g.lambdaConcurrencyRoutes(mux, auth)
	g.urlRoutes(mux, auth)
	g.eventConfigRoutes(mux, auth)
	g.mappingRoutes(mux, auth)
}

func (g *API) lambdaAccountSettings(w http.ResponseWriter, r *http.Request, tenant string) {
	a, err := g.ctl.Account(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	type limit struct {
		TotalCodeSize                  int64 `json:"TotalCodeSize"`
		CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
		CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
		ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
		UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
	}
	type usage struct {
		TotalCodeSize int64 `json:"TotalCodeSize"`
		FunctionCount int64 `json:"FunctionCount"`
	}
	// AccountId is not in Lambda's reply (AWS has STS GetCallerIdentity for
	// it); SDKs ignore it, curl and the dashboard show the tenant's id.
	wire.JSON(w, http.StatusOK, struct {
		AccountID    string `json:"AccountId"`
		AccountLimit limit  `json:"AccountLimit"`
		AccountUsage usage  `json:"AccountUsage"`
	}{
		AccountID: fn.AccountID(tenant),
		AccountLimit: limit{
			TotalCodeSize: 75 << 30, CodeSizeUnzipped: fn.MaxUnzippedBytes, CodeSizeZipped: fn.MaxZippedBytes,
			ConcurrentExecutions: a.ConcurrentExecutions, UnreservedConcurrentExecutions: a.UnreservedConcurrentExecutions,
		},
		AccountUsage: usage{TotalCodeSize: a.CodeSizeBytes, FunctionCount: int64(a.FunctionCount)},
	})
}

// taggedFunction resolves the {arn} of a tags path to tenant's function.
// Only function ARNs of the caller's account name a resource here.
func (g *API) taggedFunction(r *http.Request, tenant string) (string, error) {
	arn := r.PathValue("arn")
	if !strings.HasPrefix(arn, "arn:") {
		return "", fn.InvalidParameter("%q is not an ARN: tag a function by its FunctionArn", arn)
	}
	_, rest, _ := wire.SplitARN(arn)
	name, qualifier, _ := strings.Cut(rest, ":")
	if err := wire.CheckName(arn, name, tenant); err != nil {
		return "", err
	}
	if qualifier != "" {
		return "", fn.InvalidParameter("tags belong to the function, not to a version or alias: drop %q from the ARN", qualifier)
	}
	return name, nil
}

func (g *API) lambdaListTags(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.taggedFunction(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	f, err := g.reg.GetFunction(r.Context(), tenant, name)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	tags := f.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	wire.JSON(w, http.StatusOK, map[string]any{"Tags": tags})
}

func (g *API) lambdaTagResource(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.taggedFunction(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	var req struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decodeLambda(w, r, 1<<20, &req); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if len(req.Tags) == 0 {
		wire.Error(w, g.cfg.Log, fn.InvalidParameter("Tags is missing or empty: send at least one tag"))
		return
	}
	for k, v := range req.Tags {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("tag %q is invalid: keys are 1 to 128 characters not starting with aws:, values at most 256", k))
			return
		}
	}
	_, err = g.dep.SetTags(r.Context(), tenant, name, func(tags map[string]string) {
		for k, v := range req.Tags {
			tags[k] = v
		}
	})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (g *API) lambdaUntagResource(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.taggedFunction(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		wire.Error(w, g.cfg.Log, fn.InvalidParameter("tagKeys is missing: name the tags to remove"))
		return
	}
	_, err = g.dep.SetTags(r.Context(), tenant, name, func(tags map[string]string) {
		for _, k := range keys {
			delete(tags, k)
		}
	})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
