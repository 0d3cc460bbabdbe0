package furl

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// A function URL's CORS configuration (wire.CORS), applied by the platform
// as Lambda does (docs/LAMBDA_COMPAT.md, "Function URL CORS"):
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
// These are plain functions over the stored configuration.

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// allowedOrigin is the Access-Control-Allow-Origin for origin, "" when c
// does not allow it. A wildcard answers "*", except with credentials,
// where browsers need the origin itself.
func allowedOrigin(c *wire.CORS, origin string) string {
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
func allowsMethod(c *wire.CORS, method string) bool {
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
func writePreflight(w http.ResponseWriter, r *http.Request, c *wire.CORS) {
	h := w.Header()
	h.Add("Vary", "Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	origin := allowedOrigin(c, r.Header.Get("Origin"))
	if origin != "" && allowsMethod(c, method) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", wildcardOr(c, c.AllowMethods, method))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", wildcardOr(c, c.AllowHeaders, r.Header.Get("Access-Control-Request-Headers")))
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
func wildcardOr(c *wire.CORS, list []string, asked string) string {
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
func setCORSHeaders(h http.Header, c *wire.CORS, origin string) {
	h.Add("Vary", "Origin")
	allowed := allowedOrigin(c, origin)
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
	const prefix = "access-control-"
	return len(k) > len(prefix) && strings.EqualFold(k[:len(prefix)], prefix)
}
