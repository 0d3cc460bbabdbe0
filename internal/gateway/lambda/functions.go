package lambda

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"strconv"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
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

func (g *API) lambdaCreateFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	var req createFunctionRequest
	if err := decodeLambda(w, r, wire.MaxRequestBody, &req); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if err := g.createFunction(w, r, tenant, &req); err != nil {
		wire.Error(w, g.cfg.Log, err)
	}
}

func (g *API) createFunction(w http.ResponseWriter, r *http.Request, tenant string, req *createFunctionRequest) error {
	if req.FunctionName == "" {
		return fn.InvalidParameter("FunctionName is missing")
	}
	name, _ := wire.FunctionName(req.FunctionName)
	if err := wire.CheckName(req.FunctionName, name, tenant); err != nil {
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
	if req.DeadLetterConfig != nil {
		dr.DeadLetterARN = &req.DeadLetterConfig.TargetArn
	}
	if req.LoggingConfig != nil && req.LoggingConfig.LogFormat != "" {
		dr.LogFormat = &req.LoggingConfig.LogFormat
	}
	f, _, err := g.ctl.Deploy(r.Context(), tenant, dr, req.Publish)
	if err != nil {
		return err
	}
	wire.JSON(w, http.StatusCreated, lambdaConfig(wire.RedactEnv(r, f)))
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
func (g *API) lookupQualified(r *http.Request, tenant string) (*fn.Function, error) {
	name, q := wire.FunctionName(r.PathValue("name"))
	if qq := r.URL.Query().Get("Qualifier"); qq != "" {
		q = qq
	}
	if err := wire.CheckName(r.PathValue("name"), name, tenant); err != nil {
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

func (g *API) lambdaGetFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookupQualified(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	wire.JSON(w, http.StatusOK, getFunctionOutput{
		Configuration: lambdaConfig(wire.RedactEnv(r, f)),
		Code: functionCodeLocation{
			RepositoryType: "S3",
			Location:       scheme + "://" + r.Host + "/v1/functions/" + f.Name + "/code",
		},
		Tags:        f.Tags,
		Concurrency: g.reservedJSON(r, f),
	})
}

func (g *API) lambdaGetFunctionConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := g.lookupQualified(r, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, lambdaConfig(wire.RedactEnv(r, f)))
}

// functionCode serves the zip of a function: GetFunction's Code.Location.
func (g *API) functionCode(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	zip, err := g.reg.GetCode(r.Context(), f.CodeSHA256)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
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

func (g *API) lambdaListFunctions(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	limit := defaultListPage
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListPage {
			wire.Error(w, g.cfg.Log, fn.InvalidParameter("MaxItems %q is invalid: use 1 to %d", s, maxListPage))
			return
		}
		limit = n
	}
	fs, err := g.reg.ListFunctions(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
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
		out.Functions = append(out.Functions, lambdaConfig(wire.RedactEnv(r, f)))
	}
	if end < len(fs) {
		out.NextMarker = fs[end-1].Name
	}
	wire.JSON(w, http.StatusOK, out)
}

func (g *API) lambdaUpdateFunctionCode(w http.ResponseWriter, r *http.Request, tenant string) {
	var req struct {
		functionCodeRequest
		Publish       bool     `json:"Publish"`
		DryRun        bool     `json:"DryRun"`
		RevisionId    *string  `json:"RevisionId"`
		Architectures []string `json:"Architectures"`
	}
	if err := decodeLambda(w, r, wire.MaxRequestBody, &req); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	f, err := wire.Lookup(r, g.reg, tenant)
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
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if req.DryRun {
		wire.JSON(w, http.StatusOK, lambdaConfig(wire.RedactEnv(r, f)))
		return
	}
	dr := sameConfigRequest(f)
	dr.Zip = zip
	g.redeploy(w, r, tenant, dr, req.Publish)
}

func (g *API) lambdaUpdateFunctionConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	var req updateConfigurationRequest
	if err := decodeLambda(w, r, 1<<20, &req); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	f, err := wire.Lookup(r, g.reg, tenant)
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
		wire.Error(w, g.cfg.Log, err)
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
	if req.DeadLetterConfig != nil {
		dr.DeadLetterARN = &req.DeadLetterConfig.TargetArn
	}
	if req.LoggingConfig != nil && req.LoggingConfig.LogFormat != "" {
		dr.LogFormat = &req.LoggingConfig.LogFormat
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
		LogFormat: &f.LogFormat, IgnoreManifest: true,
	}
}

// redeploy deploys dr and, with publish, publishes the result as a version
// (the reply is then the version's configuration).
func (g *API) redeploy(w http.ResponseWriter, r *http.Request, tenant string, dr deploy.Request, publish bool) {
	f, _, err := g.ctl.Deploy(r.Context(), tenant, dr, publish)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, lambdaConfig(wire.RedactEnv(r, f)))
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

func (g *API) lambdaDeleteFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	name, q := wire.FunctionName(r.PathValue("name"))
	if qq := r.URL.Query().Get("Qualifier"); qq != "" {
		q = qq
	}
	if err := wire.CheckName(r.PathValue("name"), name, tenant); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if q != "" {
		if err := g.ctl.DeleteVersion(r.Context(), tenant, name, q); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := g.ctl.Delete(r.Context(), tenant, name); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reservedJSON is GetFunction's Concurrency: the reservation the scheduler
// enforces, or nil.
func (g *API) reservedJSON(r *http.Request, f *fn.Function) map[string]int {
	cc, err := g.ctl.GetConcurrency(r.Context(), f.Tenant, f.Name)
	if err != nil || cc.Reserved == nil {
		return nil
	}
	return map[string]int{"ReservedConcurrentExecutions": *cc.Reserved}
}
