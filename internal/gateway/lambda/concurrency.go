package lambda

import (
	"net/http"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// Reserved and provisioned concurrency are the control plane's: the same
// settings as /v1/functions/{name}/concurrency and `updraft concurrency`.
// Provisioned concurrency applies to a version or an alias (Lambda allows it
// on nothing else); Put answers 202 IN_PROGRESS and Get reports READY once
// the instances are up.

func (g *API) lambdaConcurrencyRoutes(mux wire.Mux, auth wire.Auth) {
	mux.HandleFunc("PUT /2017-10-31/functions/{name}/concurrency", auth(g.lambdaPutConcurrency))
	mux.HandleFunc("DELETE /2017-10-31/functions/{name}/concurrency", auth(g.lambdaDeleteConcurrency))
	mux.HandleFunc("GET /2019-09-30/functions/{name}/concurrency", auth(g.lambdaGetConcurrency))
	const pc = "/2019-09-30/functions/{name}/provisioned-concurrency"
	mux.HandleFunc("PUT "+pc, auth(g.lambdaPutProvisioned))
	mux.HandleFunc("GET "+pc, auth(g.lambdaGetProvisioned))
	mux.HandleFunc("DELETE "+pc, auth(g.lambdaDeleteProvisioned))
}

// maxReserved bounds a reservation; Lambda's bound is the account's limit.
const maxReserved = 1000

func (g *API) lambdaPutConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	var req struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	err := decodeLambda(w, r, 4096, &req)
	if err == nil && (req.ReservedConcurrentExecutions == nil || *req.ReservedConcurrentExecutions < 0 || *req.ReservedConcurrentExecutions > maxReserved) {
		err = fn.InvalidParameter("ReservedConcurrentExecutions must be 0 to %d", maxReserved)
	}
	var name string
	if err == nil {
		name, err = g.functionNameOnly(r, tenant)
	}
	if err == nil {
		err = g.ctl.SetReserved(r.Context(), tenant, name, req.ReservedConcurrentExecutions)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *req.ReservedConcurrentExecutions})
}

func (g *API) lambdaGetConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	out := g.reservedJSON(r, f)
	if out == nil {
		out = map[string]int{}
	}
	wire.JSON(w, http.StatusOK, out)
}

func (g *API) lambdaDeleteConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.functionNameOnly(r, tenant)
	if err == nil {
		err = g.ctl.SetReserved(r.Context(), tenant, name, nil)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// functionNameOnly is the {name} path value as a bare function name.
func (g *API) functionNameOnly(r *http.Request, tenant string) (string, error) {
	name, _ := wire.FunctionName(r.PathValue("name"))
	return name, wire.CheckName(r.PathValue("name"), name, tenant)
}

// provisionedQualifier is ?Qualifier: a published version or an alias, as
// Lambda requires.
func (g *API) provisionedQualifier(r *http.Request, tenant string) (name, q string, err error) {
	if name, err = g.functionNameOnly(r, tenant); err != nil {
		return "", "", err
	}
	q = r.URL.Query().Get("Qualifier")
	if q == "" || q == fn.LatestVersion {
		return "", "", fn.InvalidParameter("Qualifier is missing or $LATEST: provisioned concurrency needs a published version or an alias")
	}
	return name, q, nil
}

func provisionedJSON(pc *control.ProvisionedConfig) map[string]any {
	out := map[string]any{
		"RequestedProvisionedConcurrentExecutions": pc.Requested,
		"AllocatedProvisionedConcurrentExecutions": pc.Allocated,
		"AvailableProvisionedConcurrentExecutions": pc.Available,
		"Status":       pc.Status,
		"LastModified": pc.LastModified.UTC().Format(lambdaTime),
	}
	if pc.StatusReason != "" {
		out["StatusReason"] = pc.StatusReason
	}
	return out
}

func (g *API) lambdaPutProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	var req struct {
		ProvisionedConcurrentExecutions int `json:"ProvisionedConcurrentExecutions"`
	}
	err := decodeLambda(w, r, 4096, &req)
	if err == nil && (req.ProvisionedConcurrentExecutions < 1 || req.ProvisionedConcurrentExecutions > maxReserved) {
		err = fn.InvalidParameter("ProvisionedConcurrentExecutions must be 1 to %d", maxReserved)
	}
	var name, q string
	if err == nil {
		name, q, err = g.provisionedQualifier(r, tenant)
	}
	var pc *control.ProvisionedConfig
	if err == nil {
		pc, err = g.ctl.PutProvisioned(r.Context(), tenant, name, q, req.ProvisionedConcurrentExecutions)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusAccepted, provisionedJSON(pc))
}

func (g *API) lambdaGetProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.URL.Query().Get("List") == "ALL" {
		g.lambdaListProvisioned(w, r, tenant)
		return
	}
	name, q, err := g.provisionedQualifier(r, tenant)
	var pc *control.ProvisionedConfig
	if err == nil {
		pc, err = g.ctl.GetProvisioned(r.Context(), tenant, name, q)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, provisionedJSON(pc))
}

func (g *API) lambdaDeleteProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	name, q, err := g.provisionedQualifier(r, tenant)
	if err == nil {
		err = g.ctl.DeleteProvisioned(r.Context(), tenant, name, q)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// lambdaListProvisioned is ListProvisionedConcurrencyConfigs (the same path
// with List=ALL), sorted by qualifier, in one page.
func (g *API) lambdaListProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.functionNameOnly(r, tenant)
	var pcs []*control.ProvisionedConfig
	if err == nil {
		pcs, err = g.ctl.ListProvisioned(r.Context(), tenant, name)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	list := []map[string]any{}
	for _, pc := range pcs {
		if pc.Qualifier == fn.LatestVersion {
			continue // Updraft's extension, not Lambda's
		}
		c := provisionedJSON(pc)
		c["FunctionArn"] = fn.ARN(tenant, name, pc.Qualifier)
		list = append(list, c)
	}
	wire.JSON(w, http.StatusOK, map[string]any{"ProvisionedConcurrencyConfigs": list})
}
