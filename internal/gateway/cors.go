package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// A function URL's CORS configuration, applied by the platform as Lambda
// does (docs/LAMBDA_COMPAT.md, "Function URLs"):
//
//   - a preflight (OPTIONS with Origin and Access-Control-Request-Method)
//     is answered by the platform, never by the function: 200 with the
//     Access-Control-Allow-* headers when the origin and method are
//     allowed, 200 without them (so the browser refuses) when not;
//   - any other request with an Origin has the function's own
//     Access-Control-* response headers replaced by the configuration's:
//     Access-Control-Allow-Origin, Access-Control-Expose-Headers and
//     Access-Control-Allow-Credentials when the origin is allowed, none
//     when it is not;
//   - without a configuration, requests and responses pass through as they
//     are: the function may do CORS itself.
//
// These are plain functions over the stored configuration, independent of
// the gateway's types.

// corsConfig is a function URL's Cors as Lambda's API spells it.
type corsConfig struct {
	AllowCredentials bool     `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           int      `json:"MaxAge,omitempty"`
}

// corsMethods are the values AllowMethods takes on Lambda.
var corsMethods = []string{"GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"}

// corsMaxAge is Lambda's upper bound of MaxAge, in seconds.
const corsMaxAge = 86400

// decodeCORS decodes a stored Cors; nil (and JSON null) is no configuration.
func decodeCORS(raw json.RawMessage) (*corsConfig, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	c := new(corsConfig)
	if err := dec.Decode(c); err != nil {
		return nil, fn.InvalidParameter("Cors is invalid: %v: use AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, MaxAge, AllowCredentials", err)
	}
	return c, nil
}

// parseCORS decodes and validates a Cors given to Create or
// UpdateFunctionUrlConfig, with Lambda's limits.
func parseCORS(raw json.RawMessage) (*corsConfig, error) {
	c, err := decodeCORS(raw)
	if c == nil || err != nil {
		return c, err
	}
	if len(c.AllowMethods) > len(corsMethods)-1 {
		return nil, fn.InvalidParameter("Cors.AllowMethods has %d entries: the limit is 6", len(c.AllowMethods))
	}
	for _, m := range c.AllowMethods {
		if !slices.Contains(corsMethods, m) {
			return nil, fn.InvalidParameter("Cors.AllowMethods value %q is invalid: use GET, PUT, HEAD, POST, PATCH, DELETE or *", m)
		}
	}
	for _, list := range []struct {
		name   string
		values []string
		max    int
	}{{"AllowOrigins", c.AllowOrigins, 253}, {"AllowHeaders", c.AllowHeaders, 1024}, {"ExposeHeaders", c.ExposeHeaders, 1024}} {
		if len(list.values) > 100 {
			return nil, fn.InvalidParameter("Cors.%s has %d entries: the limit is 100", list.name, len(list.values))
		}
		for _, v := range list.values {
			if v == "" || len(v) > list.max {
				return nil, fn.InvalidParameter("Cors.%s value %q is invalid: use 1 to %d characters", list.name, v, list.max)
			}
		}
	}
	if c.MaxAge < 0 || c.MaxAge > corsMaxAge {
		return nil, fn.InvalidParameter("Cors.MaxAge %d is out of range: use 0 to %d seconds", c.MaxAge, corsMaxAge)
	}
	return c, nil
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// allowedOrigin is the Access-Control-Allow-Origin for origin, "" when c
// does not allow it. A wildcard answers "*", except with credentials,
// where browsers need the origin itself.
func (c *corsConfig) allowedOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return origin
			}
			return "*"
		}
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return origin
		}
	}
	return ""
}

// allowsMethod reports whether a cross-origin request may use method: GET,
// HEAD and POST always may (the Fetch standard lets them through whatever
// a preflight says); any other must be in AllowMethods, or it holds "*".
func (c *corsConfig) allowsMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return true
	}
	for _, m := range c.AllowMethods {
		if m == "*" || strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// writePreflight answers the preflight r from c.
func writePreflight(w http.ResponseWriter, r *http.Request, c *corsConfig) {
	h := w.Header()
	h.Add("Vary", "Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	origin := c.allowedOrigin(r.Header.Get("Origin"))
	if origin != "" && c.allowsMethod(method) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", c.wildcardOr(c.AllowMethods, method))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", c.wildcardOr(c.AllowHeaders, r.Header.Get("Access-Control-Request-Headers")))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// wildcardOr joins list for a header; a "*" in it stands for everything,
// which browsers take literally on credentialed requests, so it then
// becomes what was asked for.
func (c *corsConfig) wildcardOr(list []string, asked string) string {
	if slices.Contains(list, "*") {
		if c.AllowCredentials && asked != "" {
			return asked
		}
		return "*"
	}
	return strings.Join(list, ", ")
}

// setCORSHeaders adds the CORS response headers for a request from origin
// to h, when c allows that origin.
func setCORSHeaders(h http.Header, c *corsConfig, origin string) {
	h.Add("Vary", "Origin")
	allowed := c.allowedOrigin(origin)
	if allowed == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ", "))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// isCORSHeader reports whether the response header k (in any case) is one
// of CORS's Access-Control-* headers.
func isCORSHeader(k string) bool {
	return len(k) > len("access-control-") && strings.EqualFold(k[:len("access-control-")], "access-control-")
}
