package mgmt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// deployBody is the JSON of POST /v1/functions.
type deployBody struct {
	Name       string            `json:"name"`
	Runtime    string            `json:"runtime"`
	Handler    string            `json:"handler"`
	MemoryMB   int               `json:"memory_mb"`
	TimeoutSec int               `json:"timeout_s"`
	Env        map[string]string `json:"env"`
	ZipFile    string            `json:"zip_file"` // base64; see decodeDeploy
}

// wire.MaxRequestBody leaves room for a 50 MB zip in base64 plus the JSON around it.

func (g *API) deployFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	body, zip, err := decodeDeploy(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		var b64 base64.CorruptInputError
		switch {
		case errors.As(err, &mbe):
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestEntityTooLarge,
				"the deploy request is larger than %d bytes: the zipped code must be at most %d bytes", wire.MaxRequestBody, fn.MaxZippedBytes))
		case errors.As(err, &b64):
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidZipFile, "zip_file is not valid base64: %v", err))
		default:
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
				"could not parse the deploy request as JSON: %v", err))
		}
		return
	}
	if len(zip) == 0 {
		wire.Error(w, g.cfg.Log, fn.InvalidParameter("zip_file is missing: send the function's code as a base64 zip"))
		return
	}
	f, created, err := g.ctl.Deploy(r.Context(), tenant, deploy.Request{
		Name: body.Name, Runtime: body.Runtime, Handler: body.Handler,
		MemoryMB: body.MemoryMB, TimeoutSec: body.TimeoutSec, Env: body.Env, Zip: zip,
	}, false)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	// code_changed is always present on a deploy's reply, false included.
	wire.JSON(w, status, struct {
		*fn.Function
		CodeChanged bool `json:"code_changed"`
	}{f, f.CodeChanged})
}

func (g *API) listFunctions(w http.ResponseWriter, r *http.Request, tenant string) {
	fs, err := g.reg.ListFunctions(r.Context(), tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	if fs == nil {
		fs = []*fn.Function{}
	}
	for i, f := range fs {
		fs[i] = wire.RedactEnv(r, f)
	}
	wire.JSON(w, http.StatusOK, map[string]any{"functions": fs})
}

func (g *API) getFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusOK, wire.RedactEnv(r, f))
}

func (g *API) functionLogs(w http.ResponseWriter, r *http.Request, tenant string) {
	f, err := wire.Lookup(r, g.reg, tenant)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	search, err := logSearch(r)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	follow := search.Follow
	// Lines of calls that already returned are batched for a few ms: flush
	// them so a `logs` right after an invoke shows that invoke.
	if err := g.logs.Flush(r.Context()); err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	err = g.logs.Search(r.Context(), tenant, f.Name, search, func(e fn.LogEntry) error {
		if err := enc.Encode(e); err != nil {
			return err
		}
		if follow && flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err != nil && r.Context().Err() == nil && !errors.Is(err, io.ErrClosedPipe) {
		g.cfg.Log.Warn("log query ended", "fn", f.Name, "err", err)
	}
}
