package furl

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/trace"
)

// serveFunctionURL invokes a function through its URL with the API Gateway
// HTTP API payload format 2.0 and maps the result back to HTTP.
func (g *Server) serveFunctionURL(w http.ResponseWriter, r *http.Request) {
	reqID := wire.SetRequestID(w)
	ref, err := g.reg.GetURL(r.Context(), r.PathValue("id"))
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	// CORS before authentication: browsers send preflights without
	// credentials.
	var cors *wire.CORS
	if origin := r.Header.Get("Origin"); origin != "" {
		cors, err = g.urlCORS(r, ref)
		if err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		if cors != nil {
			if isPreflight(r) {
				writePreflight(w, r, cors)
				return
			}
			setCORSHeaders(w.Header(), cors, origin)
		}
	}
	if ref.AuthType == "AWS_IAM" {
		tenant, err := g.authenticate(w, r)
		if err != nil {
			wire.Error(w, g.cfg.Log, err)
			return
		}
		if tenant != ref.Tenant {
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusForbidden, fn.TypeAccessDenied, "this key may not invoke that function URL"))
			return
		}
	}
	body, err := wire.ReadLimited(http.MaxBytesReader(w, r.Body, fn.MaxSyncPayload+1), nil, fn.MaxSyncPayload)
	if err != nil {
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestTooLarge,
			"Request must be smaller than %d bytes for a function URL", fn.MaxSyncPayload))
		return
	}
	ev, err := json.Marshal(httpEvent(r, body, reqID))
	if err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	req := fn.Request{RequestID: reqID, Tenant: ref.Tenant, Function: ref.Function, Qualifier: ref.Qualifier,
		Payload: ev, TraceID: trace.Header(r.Header)}
	res, err := g.router.Invoke(r.Context(), &req)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	defer g.router.Finish(res)
	if res.FunctionError != "" {
		wire.JSON(w, http.StatusBadGateway, map[string]string{"Message": "Internal Server Error"})
		return
	}
	writeHTTPResult(w, res.Payload, cors != nil)
}

// urlCORS is the CORS configuration of the function URL r addresses (ref),
// nil when it has none. It is read from the function only for requests
// with an Origin header: other callers pay nothing for it.
func (g *Server) urlCORS(r *http.Request, ref *fn.URLRef) (*wire.CORS, error) {
	f, err := g.reg.GetFunction(r.Context(), ref.Tenant, ref.Function)
	if err != nil {
		return nil, err
	}
	if f.URL == nil || f.URL.ID != r.PathValue("id") {
		return nil, fn.NotFound("no function URL %s", r.PathValue("id"))
	}
	cors, err := wire.DecodeCORS(f.URL.Cors)
	if err != nil { // stored before Cors was validated: serve without it
		g.cfg.Log.Warn("function URL has an invalid Cors configuration: ignored", "tenant", ref.Tenant, "fn", ref.Function, "err", err)
		return nil, nil
	}
	return cors, nil
}

// httpEvent is the API Gateway HTTP API (payload format 2.0) event of a
// function URL request: route $default, the URL id as API id.
func httpEvent(r *http.Request, body []byte, reqID string) *event.HTTPRequest {
	id := r.PathValue("id")
	return event.NewHTTPRequest(r, event.HTTPRequestInput{
		RequestID: reqID, RouteKey: "$default", RawPath: "/" + r.PathValue("rest"),
		AccountID: "anonymous", APIID: id, DomainName: r.Host, DomainPrefix: id,
		Body: body, DropAuthorization: true,
	})
}

// writeHTTPResult maps a function's result to the HTTP reply: a JSON
// object with statusCode is a full response; anything else is a 200
// application/json body. With ownCORS (the URL has a CORS configuration
// and the request an Origin), the function's Access-Control-* headers are
// dropped: the platform set what the configuration says.
func writeHTTPResult(w http.ResponseWriter, payload []byte, ownCORS bool) {
	var resp struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Cookies         []string          `json:"cookies"`
		Body            *string           `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if len(payload) == 0 || payload[0] != '{' || json.Unmarshal(payload, &resp) != nil || resp.StatusCode == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
		return
	}
	var body []byte
	if resp.Body != nil {
		body = []byte(*resp.Body)
		if resp.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*resp.Body)
			if err != nil {
				wire.JSON(w, http.StatusBadGateway, map[string]string{"Message": "Internal Server Error: the function's isBase64Encoded body is not base64"})
				return
			}
			body = b
		}
	}
	h := w.Header()
	keys := make([]string, 0, len(resp.Headers))
	for k := range resp.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ownCORS && isCORSHeader(k) {
			continue
		}
		h.Set(k, resp.Headers[k])
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		resp.StatusCode = http.StatusBadGateway
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}
