package gateway

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Reserved concurrency is the scheduler's: the same setting as
// /v1/functions/{name}/concurrency, enforced on every call. Provisioned
// concurrency on a version or alias (Lambda allows it on nothing else) is
// stored and reported only: the scheduler keeps provisioned instances warm
// for $LATEST through /v1/functions/{name}/concurrency, not yet for
// published versions.

func (g *Gateway) lambdaConcurrencyRoutes(mux *http.ServeMux, auth func(tenantHandler) http.HandlerFunc) {
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

func (g *Gateway) lambdaPutConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
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
		err = g.setReserved(r, tenant, name, req.ReservedConcurrentExecutions)
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *req.ReservedConcurrentExecutions})
}

// setReserved changes only the reservation of the function's concurrency
// settings (nil removes it).
func (g *Gateway) setReserved(r *http.Request, tenant, name string, reserved *int) error {
	cc, err := g.router.GetConcurrency(r.Context(), tenant, name)
	if err != nil {
		return err
	}
	cc.Reserved = reserved
	return g.router.PutConcurrency(r.Context(), tenant, name, cc)
}

func (g *Gateway) lambdaGetConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookup(r, tenant)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	out := g.reservedJSON(r, f)
	if out == nil {
		out = map[string]int{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *Gateway) lambdaDeleteConcurrency(w http.ResponseWriter, r *http.Request, tenant string) {
	name, err := g.functionNameOnly(r, tenant)
	if err == nil {
		err = g.setReserved(r, tenant, name, nil)
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// functionNameOnly is the {name} path value as a bare function name.
func (g *Gateway) functionNameOnly(r *http.Request, tenant string) (string, error) {
	name, _ := functionName(r.PathValue("name"))
	return name, checkName(r.PathValue("name"), name, tenant)
}

// provisionedQualifier checks ?Qualifier names a published version or an
// alias of the function, as Lambda requires.
func (g *Gateway) provisionedQualifier(r *http.Request, tenant string) (name, q string, err error) {
	if name, err = g.functionNameOnly(r, tenant); err != nil {
		return "", "", err
	}
	q = r.URL.Query().Get("Qualifier")
	switch {
	case q == "" || q == fn.LatestVersion:
		return "", "", fn.InvalidParameter("Qualifier is missing or $LATEST: provisioned concurrency needs a published version or an alias")
	case fn.IsVersionNumber(q):
		_, err = g.reg.GetVersion(r.Context(), tenant, name, q)
	default:
		_, err = g.reg.GetAlias(r.Context(), tenant, name, q)
	}
	return name, q, err
}

func provisionedNotFound(name, q string) error {
	return fn.Errorf(http.StatusNotFound, fn.TypeProvisionedConcurrency, "No Provisioned Concurrency Config found for function: %s:%s", name, q)
}

func provisionedJSON(n int) map[string]any {
	return map[string]any{
		"RequestedProvisionedConcurrentExecutions": n,
		"AllocatedProvisionedConcurrentExecutions": n,
		"AvailableProvisionedConcurrentExecutions": n,
		"Status":       "READY",
		"StatusReason": "stored only: Updraft does not keep provisioned instances warm yet; calls start instances on demand",
		"LastModified": time.Now().UTC().Format(lambdaTime),
	}
}

func (g *Gateway) lambdaPutProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
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
	if err == nil {
		_, err = g.dep.Mutate(r.Context(), tenant, name, func(f *fn.Function) error {
			if f.Provisioned == nil {
				f.Provisioned = map[string]int{}
			}
			f.Provisioned[q] = req.ProvisionedConcurrentExecutions
			return nil
		})
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	writeJSON(w, http.StatusAccepted, provisionedJSON(req.ProvisionedConcurrentExecutions))
}

func (g *Gateway) lambdaGetProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.URL.Query().Get("List") == "ALL" {
		g.lambdaListProvisioned(w, r, tenant)
		return
	}
	name, q, err := g.provisionedQualifier(r, tenant)
	var f *fn.Function
	if err == nil {
		f, err = g.reg.GetFunction(r.Context(), tenant, name)
	}
	if err == nil && f.Provisioned[q] == 0 {
		err = provisionedNotFound(name, q)
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, provisionedJSON(f.Provisioned[q]))
}

func (g *Gateway) lambdaDeleteProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	name, q, err := g.provisionedQualifier(r, tenant)
	if err == nil {
		_, err = g.dep.Mutate(r.Context(), tenant, name, func(f *fn.Function) error {
			if f.Provisioned[q] == 0 {
				return provisionedNotFound(name, q)
			}
			delete(f.Provisioned, q)
			if len(f.Provisioned) == 0 {
				f.Provisioned = nil
			}
			return nil
		})
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// lambdaListProvisioned is ListProvisionedConcurrencyConfigs (the same path
// with List=ALL), sorted by qualifier, in one page.
func (g *Gateway) lambdaListProvisioned(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookup(r, tenant)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	list := []map[string]any{}
	for _, q := range slices.Sorted(maps.Keys(f.Provisioned)) {
		c := provisionedJSON(f.Provisioned[q])
		c["FunctionArn"] = fn.ARN(tenant, f.Name, q)
		list = append(list, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ProvisionedConcurrencyConfigs": list})
}
