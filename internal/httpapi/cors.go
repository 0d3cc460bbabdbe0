package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORS as API Gateway applies it to an HTTP API route with a CORS
// configuration:
//
//   - a preflight (OPTIONS with Origin and Access-Control-Request-Method)
//     is answered by the platform with 204, never by a function: with the
//     Access-Control-Allow-* headers when the origin, method and headers
//     are allowed, without them (so the browser refuses) when not;
//   - every other response to a request with an allowed Origin gets
//     Access-Control-Allow-Origin, -Expose-Headers and -Allow-Credentials
//     from the configuration, and the function's own Access-Control-*
//     headers are dropped.

// IsPreflight reports whether r is a CORS preflight request.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// allowOrigin is the Access-Control-Allow-Origin for origin, "" when not
// allowed. "*" answers "*", or the origin itself with credentials.
func (c *CORS) allowOrigin(origin string) string {
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

func listAllows(list []string, v string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return x == "*" || strings.EqualFold(x, v) })
}

// Preflight writes the answer to the preflight r.
func (c *CORS) Preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := c.allowOrigin(r.Header.Get("Origin"))
	method := r.Header.Get("Access-Control-Request-Method")
	var asked []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for x := range strings.SplitSeq(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				asked = append(asked, x)
			}
		}
	}
	ok := origin != "" && (len(c.AllowMethods) == 0 && isSimpleMethod(method) || listAllows(c.AllowMethods, method))
	for _, a := range asked {
		ok = ok && listAllows(c.AllowHeaders, a)
	}
	if ok {
		h.Set("Access-Control-Allow-Origin", origin)
		methods := strings.Join(c.AllowMethods, ",")
		if slices.Contains(c.AllowMethods, "*") || methods == "" {
			methods = method
		}
		h.Set("Access-Control-Allow-Methods", methods)
		if len(asked) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(asked, ","))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func isSimpleMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodPost
}

// Decorate sets the CORS headers of a response to a request from origin,
// after dropping the function's own Access-Control-* headers.
func (c *CORS) Decorate(h http.Header, origin string) {
	for k := range h {
		if len(k) > 15 && strings.EqualFold(k[:15], "access-control-") {
			delete(h, k)
		}
	}
	h.Add("Vary", "Origin")
	allowed := c.allowOrigin(origin)
	if allowed == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}
