package httpapi

import (
	"net/url"
	"strings"
)

// Compiled is a route ready to serve: its key parsed, its schema compiled.
type Compiled struct {
	Route
	key    parsedKey
	schema *compiledSchema
}

// Table is one tenant's routes, matched as API Gateway matches them.
type Table struct {
	routes []*Compiled
	def    *Compiled // $default
	cors   *CORS     // the API-wide CORS configuration (api.go)
}

// Match is a matched route and its path parameters.
type Match struct {
	Route  *Compiled
	Params map[string]string
}

// Match finds the route for method and the escaped path (as
// URL.EscapedPath gives it), most specific first, as API Gateway chooses:
//
//  1. a route without a greedy variable beats one with ({proxy+});
//  2. among those, segment by segment from the left, a literal segment
//     beats a {variable};
//  3. a greedy route with a longer prefix beats a shorter one;
//  4. for the same path, the exact method beats ANY;
//  5. $default catches what nothing else matched.
//
// A path whose routes all have other methods does not match (API Gateway
// answers 404 then, not 405). ok is false when nothing matched.
func (t *Table) Match(method, escapedPath string) (Match, bool) {
	if t == nil {
		return Match{}, false
	}
	segs, ok := splitPath(escapedPath)
	if ok {
		if best := t.best(method, segs, false); best != nil {
			return Match{Route: best, Params: best.key.params(segs)}, true
		}
		// A REST API (payload 1.0) serves "/hello/" as "/hello", as
		// API Gateway's REST APIs do (sam init's output URL ends in /).
		if n := len(segs); n > 1 && segs[n-1] == "" {
			if best := t.best(method, segs[:n-1], true); best != nil {
				return Match{Route: best, Params: best.key.params(segs[:n-1])}, true
			}
		}
	}
	if t.def != nil {
		return Match{Route: t.def}, true
	}
	return Match{}, false
}

// best is the most specific route for method and segs (restOnly: among
// payload 1.0 routes only), nil if none matches.
func (t *Table) best(method string, segs []string, restOnly bool) *Compiled {
	var best *Compiled
	for _, c := range t.routes {
		if c.key.method != method && c.key.method != "ANY" {
			continue
		}
		if restOnly && c.PayloadFormatVersion != "1.0" {
			continue
		}
		if !c.key.matches(segs) {
			continue
		}
		if best == nil || c.key.moreSpecific(best.key) {
			best = c
		}
	}
	return best
}

// Routes lists the table's routes.
func (t *Table) Routes() []*Compiled {
	if t == nil {
		return nil
	}
	out := append([]*Compiled(nil), t.routes...)
	if t.def != nil {
		out = append(out, t.def)
	}
	return out
}

// splitPath splits an escaped path into decoded segments: "/" is none,
// "/a/b" is [a b]. ok is false for a path that is not valid.
func splitPath(p string) ([]string, bool) {
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	if p == "/" {
		return nil, true
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if strings.IndexByte(s, '%') >= 0 {
			d, err := url.PathUnescape(s)
			if err != nil {
				return nil, false
			}
			parts[i] = d
		}
	}
	return parts, true
}

func (k parsedKey) greedy() bool {
	return len(k.segs) > 0 && k.segs[len(k.segs)-1].greedy
}

// matches reports whether the request path segs falls under k.
func (k parsedKey) matches(segs []string) bool {
	if k.greedy() {
		prefix := k.segs[:len(k.segs)-1]
		// {proxy+} takes one segment at least.
		if len(segs) <= len(prefix) {
			return false
		}
		return segsMatch(prefix, segs[:len(prefix)])
	}
	return len(segs) == len(k.segs) && segsMatch(k.segs, segs)
}

func segsMatch(ks []segment, segs []string) bool {
	for i, s := range ks {
		if s.param == "" && s.lit != segs[i] {
			return false
		}
		if s.param != "" && segs[i] == "" {
			return false
		}
	}
	return true
}

// moreSpecific reports whether k wins over o, both matching one path.
func (k parsedKey) moreSpecific(o parsedKey) bool {
	if kg, og := k.greedy(), o.greedy(); kg != og {
		return !kg
	}
	n := min(len(k.segs), len(o.segs))
	for i := range n {
		kl, ol := k.segs[i].param == "", o.segs[i].param == ""
		if kl != ol {
			return kl
		}
	}
	if len(k.segs) != len(o.segs) {
		return len(k.segs) > len(o.segs)
	}
	return k.method != "ANY" && o.method == "ANY"
}

// params are the path parameters of segs under k (nil: none).
func (k parsedKey) params(segs []string) map[string]string {
	var out map[string]string
	for i, s := range k.segs {
		if s.param == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string, 2)
		}
		if s.greedy {
			out[s.param] = strings.Join(segs[i:], "/")
			break
		}
		out[s.param] = segs[i]
	}
	return out
}

// newTable builds a table of compiled routes.
func newTable(routes []*Compiled) *Table {
	t := &Table{}
	for _, c := range routes {
		if c.key.method == "" {
			t.def = c
			continue
		}
		t.routes = append(t.routes, c)
	}
	return t
}

// CORSFor is the CORS configuration a preflight for method to
// escapedPath gets: that of the route the request would take, else that
// of the most specific route of the path with CORS (a browser asks before
// a method the route may not have), else the API-wide one; nil when none.
func (t *Table) CORSFor(method, escapedPath string) *CORS {
	if t == nil {
		return nil
	}
	if m, ok := t.Match(method, escapedPath); ok && m.Route.CORS != nil {
		return m.Route.CORS
	}
	if segs, ok := splitPath(escapedPath); ok {
		var best *Compiled
		for _, c := range t.routes {
			if c.CORS != nil && c.key.matches(segs) && (best == nil || c.key.moreSpecific(best.key)) {
				best = c
			}
		}
		if best != nil {
			return best.CORS
		}
	}
	if t.def != nil && t.def.CORS != nil {
		return t.def.CORS
	}
	return t.cors
}

// CORSOf is route c's CORS configuration: its own, else the API-wide one.
func (t *Table) CORSOf(c *Compiled) *CORS {
	if c.CORS != nil || t == nil {
		return c.CORS
	}
	return t.cors
}
