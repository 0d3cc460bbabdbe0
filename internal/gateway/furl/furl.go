package furl

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	event, err := json.Marshal(httpEvent(r, body, reqID))
	if err != nil {
		wire.Error(w, g.cfg.Log, fn.Internal(err))
		return
	}
	req := fn.Request{RequestID: reqID, Tenant: ref.Tenant, Function: ref.Function, Qualifier: ref.Qualifier,
		Payload: event, TraceID: trace.Header(r.Header)}
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

// httpEvent is the API Gateway HTTP API (payload format 2.0) event.
func httpEvent(r *http.Request, body []byte, reqID string) map[string]any {
	path := "/" + r.PathValue("rest")
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		if lk == "authorization" {
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now().UTC()
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": r.URL.RawQuery,
		"headers": headers,
		"requestContext": map[string]any{
			"accountId": "anonymous", "apiId": r.PathValue("id"), "domainName": r.Host,
			"domainPrefix": r.PathValue("id"), "requestId": reqID, "routeKey": "$default", "stage": "$default",
			"time": now.Format("02/Jan/2006:15:04:05 -0700"), "timeEpoch": now.UnixMilli(),
			"http": map[string]any{"method": r.Method, "path": path, "protocol": r.Proto, "sourceIp": ip, "userAgent": r.UserAgent()},
		},
		"isBase64Encoded": false,
	}
	if len(cookies) > 0 {
		ev["cookies"] = cookies
	}
	if len(query) > 0 {
		ev["queryStringParameters"] = query
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev["body"] = string(body)
		} else {
			ev["body"] = base64.StdEncoding.EncodeToString(body)
			ev["isBase64Encoded"] = true
		}
	}
	return ev
}

func isText(ct string) bool {
	ct = strings.ToLower(ct)
	if ct == "" || strings.HasPrefix(ct, "text/") {
		return true
	}
	for _, s := range []string{"json", "xml", "javascript", "x-www-form-urlencoded", "yaml"} {
		if strings.Contains(ct, s) {
			return true
		}
	}
	return false
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
