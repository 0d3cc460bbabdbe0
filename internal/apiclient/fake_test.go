package apiclient

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// fakeAPI is a small in-memory stand-in for the server side of
// docs/API.md: just enough of the contract to exercise the client. The
// real server is internal/gateway; the end-to-end tests run against it.
type fakeAPI struct {
	*httptest.Server
	key   string
	conns atomic.Int64 // connections accepted

	mu    sync.Mutex
	funcs map[string]*fn.Function
	logs  []fn.LogEntry
	usage []fn.UsageSummary
	last  *http.Request // last request, for checking query strings
	reqID int
	live  chan fn.LogEntry // entries a followed stream sends after the stored ones
}

const testKey = "test-key"

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{key: testKey, funcs: map[string]*fn.Function{}, live: make(chan fn.LogEntry, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("POST /v1/functions", f.auth(f.deploy))
	mux.HandleFunc("GET /v1/functions", f.auth(f.list))
	mux.HandleFunc("GET /v1/functions/{name}", f.auth(f.get))
	mux.HandleFunc("DELETE /v1/functions/{name}", f.auth(f.delete))
	mux.HandleFunc("GET /v1/functions/{name}/logs", f.auth(f.streamLogs))
	mux.HandleFunc("GET /v1/usage", f.auth(f.getUsage))
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", f.auth(f.invoke))
	f.Server = httptest.NewUnstartedServer(mux)
	f.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) client() *Client { return New(f.URL, f.key) }

func (f *fakeAPI) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqID++
		id := fmt.Sprintf("req-%d", f.reqID)
		f.last = r
		f.mu.Unlock()
		w.Header().Set("X-Amzn-RequestId", id)
		if r.Header.Get("Authorization") != "Bearer "+f.key {
			writeErr(w, fn.Errorf(http.StatusUnauthorized, fn.TypeUnrecognizedClient, "The security token included in the request is invalid."))
			return
		}
		h(w, r)
	}
}

func writeErr(w http.ResponseWriter, e *fn.Error) {
	kind := "User"
	if e.Status >= 500 {
		kind = "Service"
	}
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"Type": kind, "message": e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) deploy(w http.ResponseWriter, r *http.Request) {
	var req DeployRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, fn.InvalidParameter("bad JSON: %v", err))
		return
	}
	if len(req.Zip) == 0 {
		writeErr(w, fn.InvalidParameter("zip_file is required"))
		return
	}
	sum := sha256.Sum256(req.Zip)
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	old, ok := f.funcs[req.Name]
	nf := &fn.Function{Tenant: "default", Name: req.Name, Runtime: req.Runtime, Handler: req.Handler,
		MemoryMB: req.MemoryMB, TimeoutSec: req.TimeoutSec, Env: req.Env,
		CodeSHA256: hex.EncodeToString(sum[:]), CodeSize: int64(len(req.Zip)), Revision: 1, CreatedAt: now, UpdatedAt: now}
	nf.ApplyDefaults()
	if err := nf.Validate(); err != nil {
		writeErr(w, fn.AsError(err))
		return
	}
	status := http.StatusCreated
	if ok {
		status = http.StatusOK
		nf.Revision, nf.CreatedAt = old.Revision+1, old.CreatedAt
	}
	stored := *nf
	f.funcs[req.Name] = &stored
	nf.CodeChanged = !ok || old.CodeSHA256 != nf.CodeSHA256
	writeJSON(w, status, nf)
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []*fn.Function{}
	for _, fu := range f.funcs {
		out = append(out, fu)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"functions": out})
}

func (f *fakeAPI) lookup(w http.ResponseWriter, name string) *fn.Function {
	fu := f.funcs[name]
	if fu == nil {
		writeErr(w, fn.FunctionNotFound("default", name))
	}
	return fu
}

func (f *fakeAPI) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fu := f.lookup(w, r.PathValue("name")); fu != nil {
		writeJSON(w, http.StatusOK, fu)
	}
}

func (f *fakeAPI) delete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fu := f.lookup(w, r.PathValue("name")); fu != nil {
		delete(f.funcs, fu.Name)
		w.WriteHeader(http.StatusNoContent)
	}
}

// invoke echoes the event; a function named "boom" fails the way Lambda
// reports a function error.
func (f *fakeAPI) invoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f.mu.Lock()
	fu := f.lookup(w, name)
	f.mu.Unlock()
	if fu == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, fn.MaxSyncPayload+1))
	if err != nil {
		writeErr(w, fn.Internal(err))
		return
	}
	if len(body) > fn.MaxSyncPayload {
		writeErr(w, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", fn.MaxSyncPayload))
		return
	}
	if !json.Valid(body) {
		writeErr(w, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "Could not parse request body into json"))
		return
	}
	w.Header().Set("X-Amz-Executed-Version", fn.LatestVersion)
	if name == "boom" {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		io.WriteString(w, `{"errorMessage":"boom","errorType":"Exception","stackTrace":[]}`)
		return
	}
	w.Write(body)
}

func (f *fakeAPI) streamLogs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	fu := f.lookup(w, r.PathValue("name"))
	entries := append([]fn.LogEntry(nil), f.logs...)
	f.mu.Unlock()
	if fu == nil {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, e := range entries {
		enc.Encode(e)
	}
	if r.URL.Query().Get("follow") != "1" {
		return
	}
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case e := <-f.live:
			enc.Encode(e)
			w.(http.Flusher).Flush()
		}
	}
}

func (f *fakeAPI) getUsage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []fn.UsageSummary{}
	for _, u := range f.usage {
		if q := r.URL.Query().Get("function"); q == "" || q == u.Function {
			out = append(out, u)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeAPI) lastQuery(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last.URL.Query().Get(key)
}
