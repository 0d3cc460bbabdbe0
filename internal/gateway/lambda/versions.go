package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Lambda's versions and aliases: PublishVersion, ListVersionsByFunction,
// Create/Get/Update/Delete/ListAliases.

func (g *API) versionRoutes(mux wire.Mux, auth wire.Auth) {
	const f = "/2015-03-31/functions/{name}"
	mux.HandleFunc("POST "+f+"/versions", auth(g.lambdaPublishVersion))
	mux.HandleFunc("GET "+f+"/versions", auth(g.lambdaListVersions))
	mux.HandleFunc("POST "+f+"/aliases", auth(g.lambdaCreateAlias))
	mux.HandleFunc("GET "+f+"/aliases", auth(g.lambdaListAliases))
	mux.HandleFunc("GET "+f+"/aliases/{alias}", auth(g.lambdaGetAlias))
	mux.HandleFunc("PUT "+f+"/aliases/{alias}", auth(g.lambdaUpdateAlias))
	mux.HandleFunc("DELETE "+f+"/aliases/{alias}", auth(g.lambdaDeleteAlias))
}

func (g *API) lambdaPublishVersion(w http.ResponseWriter, r *http.Request, tenant string) {
	var req struct {
		CodeSha256  string  `json:"CodeSha256"`
		Description *string `json:"Description"`
		RevisionId  *string `json:"RevisionId"`
	}
	if err := decodeLambda(w, r, 1<<20, &req); err != nil && err != errNoBody {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	f, err := wire.Lookup(r, g.reg, tenant)
	if err == nil {
		err = checkRevision(f, req.RevisionId)
	}
	wantSHA := ""
	if err == nil && req.CodeSha256 != "" {
		b, derr := base64.StdEncoding.DecodeString(req.CodeSha256)
		if derr != nil || len(b) != sha256.Size {
			err = fn.InvalidParameter("CodeSha256 %q is not the base64 of a SHA-256 digest", req.CodeSha256)
		}
		wantSHA = hex.EncodeToString(b)
	}
	if err == nil {
		f, err = g.dep.Publish(r.Context(), tenant, f.Name, wantSHA, req.Description)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	g.cfg.Log.Info("published", "tenant", tenant, "fn", f.Name, "version", f.Version)
	wire.JSON(w, http.StatusCreated, lambdaConfig(wire.RedactEnv(r, f)))
}

// pageParams reads Marker and MaxItems.
func pageParams(r *http.Request) (marker string, limit int, err error) {
	q := r.URL.Query()
	limit = defaultListPage
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListPage {
			return "", 0, fn.InvalidParameter("MaxItems %q is invalid: use 1 to %d", s, maxListPage)
		}
		limit = n
	}
	return q.Get("Marker"), limit, nil
}

// page cuts items after the one whose key is marker; next is the key of
// the page's last item when more follow.
func page[T any](items []T, key func(T) string, marker string, limit int) (out []T, next string) {
	start := 0
	if marker != "" {
		for i, it := range items {
			if key(it) == marker {
				start = i + 1
				break
			}
		}
	}
	end := min(start+limit, len(items))
	if end < len(items) {
		next = key(items[end-1])
	}
	return items[start:end], next
}

func (g *API) lambdaListVersions(w http.ResponseWriter, r *http.Request, tenant string) {
	marker, limit, err := pageParams(r)
	var f *fn.Function
	if err == nil {
		f, err = wire.Lookup(r, g.reg, tenant)
	}
	var vs []*fn.Function
	if err == nil {
		vs, err = g.reg.ListVersions(r.Context(), tenant, f.Name)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	all := append([]*fn.Function{f}, vs...)
	items, next := page(all, func(f *fn.Function) string { return lambdaConfig(f).Version }, marker, limit)
	out := struct {
		Versions   []functionConfiguration `json:"Versions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Versions: make([]functionConfiguration, 0, len(items)), NextMarker: next}
	for _, v := range items {
		out.Versions = append(out.Versions, lambdaConfig(wire.RedactEnv(r, v)))
	}
	wire.JSON(w, http.StatusOK, out)
}

// aliasConfiguration is Lambda's AliasConfiguration JSON.
type aliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RoutingConfig   *routingConfig `json:"RoutingConfig,omitempty"`
	RevisionId      string         `json:"RevisionId"`
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

func aliasJSON(a *fn.Alias) aliasConfiguration {
	c := aliasConfiguration{
		AliasArn: fn.ARN(a.Tenant, a.Function, a.Name), Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionId: aliasRevision(a),
	}
	if len(a.Weights) > 0 {
		c.RoutingConfig = &routingConfig{AdditionalVersionWeights: a.Weights}
	}
	return c
}

func aliasRevision(a *fn.Alias) string {
	s := sha256.Sum256(fmt.Appendf(nil, "alias/%s/%s/%s/%d/%d", a.Tenant, a.Function, a.Name, a.Revision, a.UpdatedAt.UnixNano()))
	h := hex.EncodeToString(s[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

type aliasRequest struct {
	Name            string         `json:"Name"`
	FunctionVersion *string        `json:"FunctionVersion"`
	Description     *string        `json:"Description"`
	RoutingConfig   *routingConfig `json:"RoutingConfig"`
	RevisionId      *string        `json:"RevisionId"`
}

// checkAlias validates a's versions and weights against what is published.
func (g *API) checkAlias(r *http.Request, a *fn.Alias) error {
	exists := func(v string) error {
		if v == fn.LatestVersion {
			return nil
		}
		if !fn.IsVersionNumber(v) {
			return fn.InvalidParameter("FunctionVersion %q is not a version: use $LATEST or a published version number", v)
		}
		_, err := g.reg.GetVersion(r.Context(), a.Tenant, a.Function, v)
		return err
	}
	if err := exists(a.FunctionVersion); err != nil {
		return err
	}
	if len(a.Weights) > 1 {
		return fn.InvalidParameter("RoutingConfig can send calls to one additional version only, not %d", len(a.Weights))
	}
	for v, wt := range a.Weights {
		if a.FunctionVersion == fn.LatestVersion || v == fn.LatestVersion {
			return fn.InvalidParameter("weighted routing needs published versions: $LATEST cannot take part")
		}
		if v == a.FunctionVersion {
			return fn.InvalidParameter("the additional version %s is the alias's own version", v)
		}
		if wt < 0 || wt > 1 {
			return fn.InvalidParameter("weight %v of version %s is out of range: use 0.0 to 1.0", wt, v)
		}
		if err := exists(v); err != nil {
			return err
		}
	}
	return nil
}

func (g *API) lambdaCreateAlias(w http.ResponseWriter, r *http.Request, tenant string) {
	var req aliasRequest
	err := decodeLambda(w, r, 1<<20, &req)
	var f *fn.Function
	if err == nil {
		f, err = wire.Lookup(r, g.reg, tenant)
	}
	if err == nil {
		err = fn.ValidateAliasName(req.Name)
	}
	if err == nil && req.FunctionVersion == nil {
		err = fn.InvalidParameter("FunctionVersion is missing")
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	a := &fn.Alias{Tenant: tenant, Function: f.Name, Name: req.Name, FunctionVersion: *req.FunctionVersion,
		Revision: 1, UpdatedAt: time.Now().UTC()}
	if req.Description != nil {
		a.Description = *req.Description
	}
	if req.RoutingConfig != nil {
		a.Weights = req.RoutingConfig.AdditionalVersionWeights
	}
	if err := g.checkAlias(r, a); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if err := g.reg.PutAlias(r.Context(), a, true); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusCreated, aliasJSON(a))
}

func (g *API) alias(r *http.Request, tenant string) (*fn.Alias, error) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		return nil, err
	}
	return g.reg.GetAlias(r.Context(), tenant, f.Name, r.PathValue("alias"))
}

func (g *API) lambdaGetAlias(w http.ResponseWriter, r *http.Request, tenant string) {
	a, err := g.alias(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, aliasJSON(a))
}

func (g *API) lambdaUpdateAlias(w http.ResponseWriter, r *http.Request, tenant string) {
	var req aliasRequest
	err := decodeLambda(w, r, 1<<20, &req)
	var a *fn.Alias
	if err == nil {
		a, err = g.alias(r, tenant)
	}
	if err == nil && req.RevisionId != nil && *req.RevisionId != aliasRevision(a) {
		err = fn.Errorf(http.StatusPreconditionFailed, "PreconditionFailedException",
			"The RevisionId provided does not match the latest RevisionId of the alias: get it again and retry")
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if req.FunctionVersion != nil {
		a.FunctionVersion = *req.FunctionVersion
	}
	if req.Description != nil {
		a.Description = *req.Description
	}
	if req.RoutingConfig != nil {
		a.Weights = req.RoutingConfig.AdditionalVersionWeights
	}
	a.Revision++
	a.UpdatedAt = time.Now().UTC()
	if err := g.checkAlias(r, a); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if err := g.reg.PutAlias(r.Context(), a, false); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, aliasJSON(a))
}

func (g *API) lambdaDeleteAlias(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err == nil {
		err = g.reg.DeleteAlias(r.Context(), tenant, f.Name, r.PathValue("alias"))
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (g *API) lambdaListAliases(w http.ResponseWriter, r *http.Request, tenant string) {
	marker, limit, err := pageParams(r)
	var f *fn.Function
	if err == nil {
		f, err = wire.Lookup(r, g.reg, tenant)
	}
	var as []*fn.Alias
	if err == nil {
		as, err = g.reg.ListAliases(r.Context(), tenant, f.Name)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if v := r.URL.Query().Get("FunctionVersion"); v != "" {
		kept := as[:0]
		for _, a := range as {
			if a.FunctionVersion == v {
				kept = append(kept, a)
			}
		}
		as = kept
	}
	items, next := page(as, func(a *fn.Alias) string { return a.Name }, marker, limit)
	out := struct {
		Aliases    []aliasConfiguration `json:"Aliases"`
		NextMarker string               `json:"NextMarker,omitempty"`
	}{Aliases: make([]aliasConfiguration, 0, len(items)), NextMarker: next}
	for _, a := range items {
		out.Aliases = append(out.Aliases, aliasJSON(a))
	}
	wire.JSON(w, http.StatusOK, out)
}
