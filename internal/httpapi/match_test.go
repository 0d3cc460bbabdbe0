package httpapi

import (
	"reflect"
	"strings"
	"testing"
)

func table(t *testing.T, keys ...string) *Table {
	t.Helper()
	var cs []*Compiled
	for _, k := range keys {
		c, err := compile(Route{Tenant: "default", Key: k, Function: "f"})
		if err != nil {
			t.Fatalf("compile %q: %v", k, err)
		}
		cs = append(cs, c)
	}
	return newTable(cs)
}

// TestMatchPriority pins API Gateway's choice among matching routes,
// including its documented example (GET /pets/dog/1, /pets/dog/{id},
// /pets/{proxy+}, ANY /{proxy+}, $default).
func TestMatchPriority(t *testing.T) {
	tb := table(t,
		"GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default",
		"POST /items", "ANY /items", "GET /items/{id}", "GET /items/{id}/tags/{tag}", "GET /{a}/special",
		"GET /", "PUT /files/{path+}", "GET /enc/{name}",
	)
	for _, tc := range []struct {
		method, path, want string
		params             map[string]string
	}{
		{"GET", "/pets/dog/1", "GET /pets/dog/1", nil},
		{"GET", "/pets/dog/2", "GET /pets/dog/{id}", map[string]string{"id": "2"}},
		{"GET", "/pets/cat/1", "GET /pets/{proxy+}", map[string]string{"proxy": "cat/1"}},
		{"POST", "/pets/dog/1", "ANY /{proxy+}", map[string]string{"proxy": "pets/dog/1"}},
		{"GET", "/", "GET /", nil},
		{"POST", "/", "$default", nil}, // {proxy+} needs a segment
		{"POST", "/items", "POST /items", nil},
		{"DELETE", "/items", "ANY /items", nil}, // exact method first, then ANY
		{"GET", "/items", "ANY /items", nil},    // a full match beats a greedy one
		{"GET", "/items/7", "GET /items/{id}", map[string]string{"id": "7"}},
		{"GET", "/items/7/tags/red", "GET /items/{id}/tags/{tag}", map[string]string{"id": "7", "tag": "red"}},
		{"GET", "/items/special", "GET /items/{id}", map[string]string{"id": "special"}}, // literal first segment wins
		{"GET", "/other/special", "GET /{a}/special", map[string]string{"a": "other"}},
		{"PUT", "/files/a/b/c.txt", "PUT /files/{path+}", map[string]string{"path": "a/b/c.txt"}},
		{"GET", "/enc/a%20b", "GET /enc/{name}", map[string]string{"name": "a b"}}, // decoded, as API Gateway does
		{"PATCH", "/nothing/here", "ANY /{proxy+}", map[string]string{"proxy": "nothing/here"}},
	} {
		m, ok := tb.Match(tc.method, tc.path)
		if !ok {
			t.Errorf("%s %s: no match, want %s", tc.method, tc.path, tc.want)
			continue
		}
		if m.Route.Key != tc.want || !reflect.DeepEqual(m.Params, tc.params) {
			t.Errorf("%s %s: got %s %v, want %s %v", tc.method, tc.path, m.Route.Key, m.Params, tc.want, tc.params)
		}
	}
}

// TestMatchNotFound: without $default, an unknown path and a known path
// with another method both miss (API Gateway answers 404 to both).
func TestMatchNotFound(t *testing.T) {
	tb := table(t, "GET /items/{id}", "POST /orders")
	for _, c := range [][2]string{{"GET", "/nope"}, {"DELETE", "/items/1"}, {"GET", "/orders"}, {"GET", "/items/"}, {"GET", "/items"}, {"GET", "/items/1/2"}} {
		if m, ok := tb.Match(c[0], c[1]); ok {
			t.Errorf("%s %s matched %s", c[0], c[1], m.Route.Key)
		}
	}
	var none *Table
	if _, ok := none.Match("GET", "/"); ok {
		t.Error("a tenant without routes matched")
	}
}

func TestParseKeyRefusals(t *testing.T) {
	for key, want := range map[string]string{
		"GET":                   `not "METHOD /path"`,
		"FETCH /x":              "method FETCH is not one of",
		"GET items":             "must start with /",
		"GET /a//b":             "empty path segment",
		"GET /{proxy+}/x":       "must be the last segment",
		"GET /a-{id}":           "mixes text and a variable",
		"GET /{id}/{id}":        "appears twice",
		"GET /{}":               "is not a path variable",
		"$DEFAULT":              `not "METHOD /path"`,
		"get /items/{id}/{x+}/": "must be the last segment",
	} {
		_, err := ParseKey(key)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKey(%q) = %v, want an error with %q", key, err, want)
		}
	}
	for in, want := range map[string]string{"get /a/{b}": "GET /a/{b}", " $default ": "$default", "any /{p+}": "ANY /{p+}"} {
		if got, err := ParseKey(in); err != nil || got != want {
			t.Errorf("ParseKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestBadSchemaRefused(t *testing.T) {
	for _, s := range []string{`{"type": 7}`, `{not json`, `{"$ref": "http://127.0.0.1/x.json"}`} {
		_, err := compile(Route{Key: "POST /x", Function: "f", Schema: []byte(s)})
		if err == nil || !strings.Contains(err.Error(), "schema") {
			t.Errorf("schema %s: %v", s, err)
		}
	}
	c, err := compile(Route{Key: "POST /x", Function: "f", Schema: []byte(`{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}`),
		RequiredQuery: []string{"v"}, RequiredHeaders: []string{"X-Tenant"}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(nil, nil, []byte(`{"name": 3}`))
	inv, ok := err.(*Invalid)
	if !ok || inv.Status != 400 || len(inv.Errors) != 3 {
		t.Fatalf("validate: %#v", err)
	}
	joined := strings.Join(inv.Errors, "\n")
	for _, w := range []string{`query string parameter "v"`, `header "x-tenant"`, "/name"} {
		if !strings.Contains(joined, w) {
			t.Errorf("errors %q lack %q", joined, w)
		}
	}
}

// TestMatchRESTTrailingSlash: a REST API route (payload 1.0) serves the
// path with a trailing slash too, as API Gateway's REST APIs do; an HTTP
// API route does not.
func TestMatchRESTTrailingSlash(t *testing.T) {
	var cs []*Compiled
	for _, r := range []Route{
		{Tenant: "default", Key: "GET /hello", Function: "f", PayloadFormatVersion: "1.0"},
		{Tenant: "default", Key: "GET /items/{id}", Function: "f", PayloadFormatVersion: "1.0"},
		{Tenant: "default", Key: "GET /http", Function: "f"},
	} {
		c, err := compile(r)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	tb := newTable(cs)
	for path, want := range map[string]string{"/hello/": "GET /hello", "/items/7/": "GET /items/{id}", "/http/": "", "/hello//": ""} {
		m, ok := tb.Match("GET", path)
		got := ""
		if ok {
			got = m.Route.Key
		}
		if got != want {
			t.Errorf("GET %s: %q, want %q", path, got, want)
		}
		if ok && want == "GET /items/{id}" && m.Params["id"] != "7" {
			t.Errorf("GET %s: params %v", path, m.Params)
		}
	}
}
