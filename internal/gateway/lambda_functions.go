package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"strconv"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

// Lambda API operations on functions (/2015-03-31/functions/...), with
// Lambda's JSON shapes, status codes and error types.

// decodeLambda reads a JSON body of at most limit bytes into v. Unknown
// fields are ignored, as SDKs send fields newer than this server.
func decodeLambda(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge,
				"the request is larger than %d bytes: the zipped code must be at most %d bytes", limit, fn.MaxZippedBytes)
		case errors.Is(err, io.EOF):
			return errNoBody
		}
		return fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not parse the request body as the operation's JSON: %v", err)
	}
	return nil
}

func (g *Gateway) lambdaCreateFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	var req createFunctionRequest
	if err := decodeLambda(w, r, maxDeployBody, &req); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	if err := g.createFunction(w, r, tenant, &req); err != nil {
		writeError(w, g.cfg.Log, err)
	}
}

func (g *Gateway) createFunction(w http.ResponseWriter, r *http.Request, tenant string, req *createFunctionRequest) error {
	if req.FunctionName == "" {
		return fn.InvalidParameter("FunctionName is missing")
	}
	name, _ := functionName(req.FunctionName)
	if err := checkName(req.FunctionName, name, tenant); err != nil {
		return err
	}
	if req.Runtime == "" {
		return fn.InvalidParameter("Runtime is missing: use one such as python3.12, nodejs20.x, provided.al2023")
	}
	if req.PackageType != "" && req.PackageType != "Zip" {
		return fn.InvalidParameter("PackageType %q is not supported: use Zip", req.PackageType)
	}
	if err := checkArchitectures(req.Architectures); err != nil {
		return err
	}
	zip, err := req.Code.zip()
	if err != nil {
		return err
	}
	dr := deploy.Request{
		Name: name, Runtime: req.Runtime, Handler: req.Handler, MemoryMB: req.MemorySize,
		TimeoutSec: req.Timeout, Zip: zip, Description: req.Description, Role: req.Role,
		Tags: req.Tags, IgnoreManifest: true, CreateOnly: true,
	}
	if req.Environment != nil {
		dr.Env = req.Environment.Variables
	}
	if req.EphemeralStorage != nil {
		dr.EphemeralStorageMB = req.EphemeralStorage.Size
	}
	f, _, err := g.dep.Deploy(r.Context(), tenant, dr)
	if err != nil {
		return err
	}
	if req.Publish {
		if f, err = g.dep.Publish(r.Context(), tenant, f.Name, f.CodeSHA256, nil); err != nil {
			return err
		}
	}
	g.cfg.Log.Info("created", "tenant", tenant, "fn", f.Name, "revision", f.Revision)
	writeJSON(w, http.StatusCreated, lambdaConfig(f))
	return nil
}

// getFunctionOutput is GetFunction's reply.
type getFunctionOutput struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          functionCodeLocation  `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
	Concurrency   map[string]int        `json:"Concurrency,omitempty"`
}

type functionCodeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

// lookupQualified resolves {name} with its qualifier (name:q or
// ?Qualifier=q): $LATEST, a version, or an alias's own version.
func (g *Gateway) lookupQualified(r *http.Request, tenant string) (*fn.Function, error) {
	name, q := functionName(r.PathValue("name"))
	if qq := r.URL.Query().Get("Qualifier"); qq != "" {
		q = qq
	}
	if err := checkName(r.PathValue("name"), name, tenant); err != nil {
		return nil, err
	}
	f, err := g.reg.GetFunction(r.Context(), tenant, name)
	if err != nil || q == "" || q == fn.LatestVersion {
		return f, err
	}
	if !fn.IsVersionNumber(q) {
		a, err := g.reg.GetAlias(r.Context(), tenant, name, q)
		if err != nil {
			return nil, err
		}
		if a.FunctionVersion == fn.LatestVersion {
			return f, nil
		}
		q = a.FunctionVersion
	}
	return g.reg.GetVersion(r.Context(), tenant, name, q)
}

func (g *Gateway) lambdaGetFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookupQualified(r, tenant)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, getFunctionOutput{
		Configuration: lambdaConfig(f),
		Code: functionCodeLocation{
			RepositoryType: "S3",
			Location:       scheme + "://" + r.Host + "/v1/functions/" + f.Name + "/code",
		},
		Tags:        f.Tags,
		Concurrency: g.reservedJSON(r, f),
	})
}

func (g *Gateway) lambdaGetFunctionConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookupQualified(r, tenant)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, lambdaConfig(f))
}

// functionCode serves the zip of a function: GetFunction's Code.Location.
func (g *Gateway) functionCode(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookup(r, tenant)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	zip, err := g.reg.GetCode(r.Context(), f.CodeSHA256)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(zip)))
	_, _ = w.Write(zip)
}

// Lambda's ListFunctions page size: 50 by default, at most 10,000.
const (
	defaultListPage = 50
	maxListPage     = 10000
)

func (g *Gateway) lambdaListFunctions(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	limit := defaultListPage
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListPage {
			writeError(w, g.cfg.Log, fn.InvalidParameter("MaxItems %q is invalid: use 1 to %d", s, maxListPage))
			return
		}
		limit = n
	}
	fs, err := g.reg.ListFunctions(r.Context(), tenant)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	// The marker is the name of the last function of the previous page:
	// sorted names make it stable under concurrent creates and deletes.
	marker := q.Get("Marker")
	start := 0
	for start < len(fs) && marker != "" && fs[start].Name <= marker {
		start++
	}
	end := min(start+limit, len(fs))
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: make([]functionConfiguration, 0, end-start)}
	for _, f := range fs[start:end] {
		out.Functions = append(out.Functions, lambdaConfig(f))
	}
	if end < len(fs) {
		out.NextMarker = fs[end-1].Name
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *Gateway) lambdaUpdateFunctionCode(w http.ResponseWriter, r *http.Request, tenant string) {
	var req struct {
		functionCodeRequest
		Publish       bool     `json:"Publish"`
		DryRun        bool     `json:"DryRun"`
		RevisionId    *string  `json:"RevisionId"`
		Architectures []string `json:"Architectures"`
	}
	if err := decodeLambda(w, r, maxDeployBody, &req); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	f, err := g.lookup(r, tenant)
	if err == nil {
		err = checkRevision(f, req.RevisionId)
	}
	if err == nil {
		err = checkArchitectures(req.Architectures)
	}
	var zip []byte
	if err == nil {
		zip, err = req.zip()
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	if req.DryRun {
		writeJSON(w, http.StatusOK, lambdaConfig(f))
		return
	}
	dr := sameConfigRequest(f)
	dr.Zip = zip
	g.redeploy(w, r, tenant, dr, req.Publish)
}

func (g *Gateway) lambdaUpdateFunctionConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	var req updateConfigurationRequest
	if err := decodeLambda(w, r, 1<<20, &req); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	f, err := g.lookup(r, tenant)
	if err == nil {
		err = checkRevision(f, req.RevisionId)
	}
	var zip []byte
	if err == nil {
		// A configuration change goes through a full deploy of the code the
		// function has, so a new handler is checked against it.
		zip, err = g.reg.GetCode(r.Context(), f.CodeSHA256)
	}
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	dr := sameConfigRequest(f)
	dr.Zip = zip
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&dr.Runtime, req.Runtime)
	set(&dr.Role, req.Role)
	set(&dr.Handler, req.Handler)
	set(&dr.Description, req.Description)
	if req.MemorySize != nil {
		dr.MemoryMB = *req.MemorySize
		if dr.MemoryMB == 0 {
			dr.MemoryMB = -1 // zero means "not given" to Deploy: make it fail validation
		}
	}
	if req.Timeout != nil {
		dr.TimeoutSec = *req.Timeout
		if dr.TimeoutSec == 0 {
			dr.TimeoutSec = -1
		}
	}
	if req.Environment != nil {
		dr.Env = req.Environment.Variables
	}
	if req.EphemeralStorage != nil {
		dr.EphemeralStorageMB = req.EphemeralStorage.Size
	}
	g.redeploy(w, r, tenant, dr, false)
}

// sameConfigRequest is a deploy request that keeps all of f's configuration.
func sameConfigRequest(f *fn.Function) deploy.Request {
	rt := f.Runtime // a short name: keeps a Lambda name given before
	if f.RuntimeName != "" {
		rt = f.LambdaRuntime()
	}
	return deploy.Request{
		Name: f.Name, Runtime: rt, Handler: f.Handler, MemoryMB: f.MemoryMB,
		TimeoutSec: f.TimeoutSec, Env: maps.Clone(f.Env), Description: f.Description,
		Role: f.Role, EphemeralStorageMB: f.EphemeralStorageMB, Tags: f.Tags,
		IgnoreManifest: true,
	}
}

// redeploy deploys dr and, with publish, publishes the result as a version
// (the reply is then the version's configuration).
func (g *Gateway) redeploy(w http.ResponseWriter, r *http.Request, tenant string, dr deploy.Request, publish bool) {
	f, _, err := g.dep.Deploy(r.Context(), tenant, dr)
	if err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	g.router.Retire(tenant, f.Name)
	if publish {
		if f, err = g.dep.Publish(r.Context(), tenant, f.Name, f.CodeSHA256, nil); err != nil {
			writeError(w, g.cfg.Log, err)
			return
		}
	}
	g.cfg.Log.Info("updated", "tenant", tenant, "fn", f.Name, "revision", f.Revision, "code_changed", f.CodeChanged)
	writeJSON(w, http.StatusOK, lambdaConfig(f))
}

// checkRevision implements RevisionId: the update applies only to the
// revision the caller saw.
func checkRevision(f *fn.Function, rev *string) error {
	if rev != nil && *rev != revisionID(f) {
		return fn.Errorf(http.StatusPreconditionFailed, "PreconditionFailedException",
			"The RevisionId provided does not match the latest RevisionId for the Lambda function: get the function again and retry")
	}
	return nil
}

func (g *Gateway) lambdaDeleteFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	name, q := functionName(r.PathValue("name"))
	if qq := r.URL.Query().Get("Qualifier"); qq != "" {
		q = qq
	}
	if err := checkName(r.PathValue("name"), name, tenant); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	if q != "" {
		if err := g.deleteVersion(r, tenant, name, q); err != nil {
			writeError(w, g.cfg.Log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := g.reg.DeleteFunction(r.Context(), tenant, name); err != nil {
		writeError(w, g.cfg.Log, err)
		return
	}
	g.router.Retire(tenant, name)
	g.cfg.Log.Info("deleted", "tenant", tenant, "fn", name)
	w.WriteHeader(http.StatusNoContent)
}

// reservedJSON is GetFunction's Concurrency: the reservation the scheduler
// enforces, or nil.
func (g *Gateway) reservedJSON(r *http.Request, f *fn.Function) map[string]int {
	cc, err := g.router.GetConcurrency(r.Context(), f.Tenant, f.Name)
	if err != nil || cc.Reserved == nil {
		return nil
	}
	return map[string]int{"ReservedConcurrentExecutions": *cc.Reserved}
}

// deleteVersion is DeleteFunction with a Qualifier: one published version,
// unless an alias still routes to it.
func (g *Gateway) deleteVersion(r *http.Request, tenant, name, q string) error {
	if !fn.IsVersionNumber(q) {
		return fn.InvalidParameter("Qualifier %q cannot be deleted: name a published version (delete aliases with DeleteAlias, $LATEST by deleting the function)", q)
	}
	if _, err := g.reg.GetFunction(r.Context(), tenant, name); err != nil {
		return err
	}
	as, err := g.reg.ListAliases(r.Context(), tenant, name)
	if err != nil {
		return err
	}
	for _, a := range as {
		if _, weighted := a.Weights[q]; a.FunctionVersion == q || weighted {
			return fn.Errorf(http.StatusConflict, fn.TypeResourceConflict,
				"version %s is used by alias %s: point the alias elsewhere first", q, a.Name)
		}
	}
	if err := g.reg.DeleteVersion(r.Context(), tenant, name, q); err != nil {
		return err
	}
	_, err = g.dep.Mutate(r.Context(), tenant, name, func(f *fn.Function) error {
		delete(f.Provisioned, q)
		if len(f.Provisioned) == 0 {
			f.Provisioned = nil
		}
		return nil
	})
	g.cfg.Log.Info("deleted version", "tenant", tenant, "fn", name, "version", q)
	return err
}
