package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/httpapi"
	"github.com/updraft-dev/updraft/internal/registry"
)

// MaxPayload is API Gateway's HTTP API request payload limit.
const MaxPayload = 10 << 20

// Config tunes the handler.
type Config struct {
	Log *slog.Logger
	// BaseDomain: a request to TENANT.<BaseDomain> is TENANT's; any other
	// host is the default tenant's. Default "localhost".
	BaseDomain string
}

// Handler serves routes.
type Handler struct {
	cfg    Config
	routes *httpapi.Service
	inv    fn.Invoker
}

// New builds the handler.
func New(cfg Config, routes *httpapi.Service, inv fn.Invoker) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.BaseDomain == "" {
		cfg.BaseDomain = "localhost"
	}
	cfg.BaseDomain = strings.ToLower(strings.Trim(cfg.BaseDomain, "."))
	return &Handler{cfg: cfg, routes: routes, inv: inv}
}

// tenantOf is the tenant a Host header addresses and the API's domain
// prefix (the host's first label).
func (h *Handler) tenantOf(host string) (tenant, prefix string) {
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	prefix, _, _ = strings.Cut(host, ".")
	if t, ok := strings.CutSuffix(host, "."+h.cfg.BaseDomain); ok && t != "" && !strings.Contains(t, ".") {
		return t, prefix
	}
	return registry.DefaultTenant, prefix
}

// message writes API Gateway's JSON error reply.
func message(w http.ResponseWriter, status int, msg string, errs ...string) {
	body := map[string]any{"message": msg}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	wire.JSON(w, status, body)
}

// ServeHTTP serves one request to a route: tenant by host, CORS
// preflight, match, body (10 MB), authorizer, validation, invoke in the
// route's payload format (2.0, or REST's 1.0), reply.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := wire.NewRequestID()
	w.Header()["Apigw-Requestid"] = []string{reqID}
	tenant, prefix := h.tenantOf(r.Host)
	table := h.routes.Table(tenant)
	path := r.URL.EscapedPath()
	if httpapi.IsPreflight(r) {
		if cors := table.CORSFor(r.Header.Get("Access-Control-Request-Method"), path); cors != nil {
			cors.Preflight(w, r)
			return
		}
	}
	m, ok := table.Match(r.Method, path)
	if !ok {
		message(w, http.StatusNotFound, "Not Found")
		return
	}
	route := m.Route
	body, err := wire.ReadLimited(http.MaxBytesReader(w, r.Body, MaxPayload+1), nil, MaxPayload)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || len(body) > MaxPayload {
			message(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
			return
		}
		message(w, http.StatusBadRequest, "Bad Request")
		return
	}
	in := event.HTTPRequestInput{
		RequestID: reqID, RouteKey: route.Key, RawPath: path,
		AccountID: fn.AccountID(tenant), APIID: tenant, DomainName: r.Host, DomainPrefix: prefix,
		Body: body, PathParameters: m.Params, Forwarded: true, Stage: route.Stage,
	}
	if route.Auth.Type == httpapi.AuthAPIKey {
		in.APIKey = r.Header.Get("X-Api-Key")
	}
	authz, err := h.routes.Authorize(r.Context(), tenant, route, r, in)
	if err != nil {
		h.refuse(w, r, table, route, err)
		return
	}
	in.Authorizer = authz
	if err := route.Validate(r.URL.Query(), r.Header, body); err != nil {
		h.refuse(w, r, table, route, err)
		return
	}
	v1 := route.PayloadFormatVersion == event.PayloadV1
	var payload []byte
	if v1 {
		payload, err = event.Encode(event.NewProxyRequest(r, in))
	} else {
		payload, err = event.NewHTTPRequest(r, in).AppendJSON(make([]byte, 0, 1024+len(body)*4/3))
	}
	if err != nil {
		h.refuse(w, r, table, route, err)
		return
	}
	res, err := h.inv.Invoke(r.Context(), &fn.Request{RequestID: reqID, Tenant: tenant, Function: route.Function,
		Qualifier: route.Qualifier, Payload: payload, TraceID: r.Header.Get("X-Amzn-Trace-Id")})
	if err != nil {
		h.invokeFailed(w, r, table, route, tenant, err)
		return
	}
	defer h.inv.Finish(res)
	if res.FunctionError != "" {
		decorate(w, r, table, route)
		if timedOut(res.Payload) {
			message(w, http.StatusGatewayTimeout, "Endpoint request timed out")
			return
		}
		message(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	parse := event.ParseHTTPResponse
	if v1 {
		parse = event.ParseProxyResponse
	}
	resp, out, err := parse(res.Payload)
	if err != nil {
		decorate(w, r, table, route)
		message(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	writeResponse(w, resp, out)
	decorate(w, r, table, route)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// timedOut reports whether a function error payload is the platform's
// timeout (errorType Sandbox.Timedout).
func timedOut(payload []byte) bool {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	return json.Unmarshal(payload, &e) == nil && e.ErrorType == "Sandbox.Timedout"
}

// decorate sets the route's CORS headers on the reply to a cross-origin
// request.
func decorate(w http.ResponseWriter, r *http.Request, table *httpapi.Table, route *httpapi.Compiled) {
	if origin := r.Header.Get("Origin"); origin != "" {
		if cors := table.CORSOf(route); cors != nil {
			cors.Decorate(w.Header(), origin)
		}
	}
}

// refuse answers a request stopped before its function ran.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, table *httpapi.Table, route *httpapi.Compiled, err error) {
	decorate(w, r, table, route)
	var inv *httpapi.Invalid
	if errors.As(err, &inv) {
		message(w, inv.Status, inv.Message, inv.Errors...)
		return
	}
	h.cfg.Log.Error("route request failed", "route", route.Key, "fn", route.Function, "err", err)
	message(w, http.StatusInternalServerError, "Internal Server Error")
}

// invokeFailed maps an invocation the platform could not run: throttling
// is 429, a payload over the function's limit 413, anything else 500
// (API Gateway's answer to an integration failure).
func (h *Handler) invokeFailed(w http.ResponseWriter, r *http.Request, table *httpapi.Table, route *httpapi.Compiled, tenant string, err error) {
	decorate(w, r, table, route)
	e := fn.AsError(err)
	switch e.Status {
	case http.StatusTooManyRequests:
		message(w, http.StatusTooManyRequests, "Too Many Requests", e.Message)
	case http.StatusRequestEntityTooLarge:
		message(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", e.Message)
	default:
		h.cfg.Log.Warn("route invocation failed", "tenant", tenant, "route", route.Key, "fn", route.Function, "err", err)
		message(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

// writeResponse sets the headers of a function's response: headers,
// multiValueHeaders (whose values replace a headers entry of the same
// name) and cookies as Set-Cookie.
func writeResponse(w http.ResponseWriter, resp *event.HTTPResponse, body []byte) {
	h := w.Header()
	keys := make([]string, 0, len(resp.Headers))
	for k := range resp.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Set(k, resp.Headers[k])
	}
	for k, vs := range resp.MultiValueHeaders {
		if _, single := resp.Headers[k]; single {
			h.Del(k)
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // no sniffing: the function said nothing
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
}

var _ http.Handler = (*Handler)(nil)
