package lambda

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/trace"
)

// bufPool recycles request-body buffers on the invoke path.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// invoke is Lambda's Invoke: POST /2015-03-31/functions/{name}/invocations.
func (g *API) invoke(w http.ResponseWriter, r *http.Request, tenant string) {
	name, qualifier := wire.FunctionName(r.PathValue("name"))
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	if err := wire.CheckName(r.PathValue("name"), name, tenant); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 { // don't hoard buffers of rare huge payloads
			bufPool.Put(bp)
		}
	}()
	payload, err := wire.ReadLimited(r.Body, (*bp)[:0], fn.MaxSyncPayload)
	*bp = payload[:0]
	if err != nil {
		if err == wire.ErrTooLarge {
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge,
				"Request must be smaller than %d bytes for the InvokeFunction operation", fn.MaxSyncPayload))
			return
		}
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "could not read the request body: %v", err))
		return
	}
	if len(payload) == 0 {
		payload = append(payload, "{}"...)
	} else if !json.Valid(payload) {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
			"Could not parse request body into json: the payload must be a JSON document (for example {\"key\":\"value\"})"))
		return
	}
	// Lambda takes the client context base64-encoded and hands the runtime
	// the decoded JSON.
	var clientContext string
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(b) {
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent,
				"X-Amz-Client-Context must be base64-encoded JSON"))
			return
		}
		clientContext = string(b)
	}
	switch it := r.Header.Get("X-Amz-Invocation-Type"); it {
	case "", "RequestResponse":
	case "DryRun":
		if _, _, err := g.router.Resolve(r.Context(), tenant, name, qualifier); err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		g.invokeAsync(w, r, tenant, name, qualifier, payload, clientContext)
		return
	default:
		wire.Error(w, g.cfg.Log, fn.InvalidParameter("InvocationType %q is not supported: use RequestResponse, Event or DryRun", it))
		return
	}
	req := fn.Request{
		RequestID:     wire.RequestID(w),
		Tenant:        tenant,
		Function:      name,
		Qualifier:     qualifier,
		Payload:       payload,
		TraceID:       trace.Header(r.Header),
		ClientContext: clientContext,
		WantLogTail:   r.Header.Get("X-Amz-Log-Type") == "Tail",
	}
	ctx, span := g.cfg.Tracer.StartServer(r.Context(), "gateway", req.TraceID)
	span.SetCall(tenant, name, req.RequestID)
	if req.TraceID == "" {
		req.TraceID = span.XRay() // the function sees the trace it is part of
	}
	res, err := g.router.Invoke(ctx, &req)
	span.End(err)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["X-Amz-Executed-Version"] = []string{res.ExecutedVersion}
	h["Content-Length"] = []string{strconv.Itoa(len(res.Payload))}
	if res.FunctionError != "" {
		h["X-Amz-Function-Error"] = []string{res.FunctionError}
	}
	if req.WantLogTail {
		h["X-Amz-Log-Result"] = []string{base64.StdEncoding.EncodeToString(res.LogTail)}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
	// Put the reply on the wire before writing logs and the billing record.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	g.router.Finish(res)
}

// invokeAsync stores the event durably and answers 202; the async queue
// runs it. Nothing is acknowledged before JetStream has it on disk.
func (g *API) invokeAsync(w http.ResponseWriter, r *http.Request, tenant, name, qualifier string, payload []byte, clientContext string) {
	if g.async == nil {
		wire.Error(w, g.cfg.Log, fn.InvalidParameter("InvocationType Event is not available on this server: use RequestResponse"))
		return
	}
	if _, _, err := g.router.Resolve(r.Context(), tenant, name, qualifier); err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	err := g.async.Enqueue(r.Context(), &async.Event{
		RequestID: wire.RequestID(w), Tenant: tenant, Function: name, Qualifier: qualifier,
		Payload: append([]byte(nil), payload...), ClientContext: clientContext,
		TraceID: trace.Header(r.Header),
	})
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
