package compat

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// token signs claims with key (alg, kid).
func token(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func claims(iss string, exp time.Duration, extra map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"sub": "user-1", "iss": iss, "aud": []string{"api"}, "exp": now.Add(exp).Unix(), "iat": now.Unix(), "scope": "read write"}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func TestRoutesJWTAuthorizer(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	p.deploy(p.api, "echo", map[string]string{"app.py": echoPy})
	p.route(p.api, apiclient.Route{RouteKey: "GET /hs", Function: "echo", Auth: apiclient.RouteAuth{Type: "jwt",
		JWT: &apiclient.RouteJWT{Secret: "s3cret-s3cret-s3cret-s3cret-s3cret", Issuer: "https://issuer.local", Audience: []string{"api"}}}})

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: rsaKey.Public(), KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		{Key: ecKey.Public(), KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
	}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.route(p.api, apiclient.Route{RouteKey: "GET /rs", Function: "echo", Auth: apiclient.RouteAuth{Type: "jwt",
		JWT: &apiclient.RouteJWT{JWKS: jwks, Issuer: "me"}}})

	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	hs := []byte("s3cret-s3cret-s3cret-s3cret-s3cret")
	good := token(t, jose.HS256, hs, "", claims("https://issuer.local", time.Hour, nil))
	r := p.do("GET", "/hs", nil, bearer(good))
	if r.status != 200 {
		t.Fatalf("valid HS256: %d %s", r.status, r.body)
	}
	jwtCtx := r.json(t)["requestContext"].(map[string]any)["authorizer"].(map[string]any)["jwt"].(map[string]any)
	if jwtCtx["claims"].(map[string]any)["sub"] != "user-1" || jwtCtx["claims"].(map[string]any)["aud"] != `["api"]` ||
		len(jwtCtx["scopes"].([]any)) != 2 {
		t.Fatalf("authorizer.jwt: %v", jwtCtx)
	}
	for name, h := range map[string]map[string]string{
		"missing":       nil,
		"garbage":       bearer("not.a.token"),
		"bad signature": bearer(token(t, jose.HS256, []byte("another-secret-another-secret-xx"), "", claims("https://issuer.local", time.Hour, nil))),
		"expired":       bearer(token(t, jose.HS256, hs, "", claims("https://issuer.local", -time.Minute, nil))),
		"not yet":       bearer(token(t, jose.HS256, hs, "", claims("https://issuer.local", time.Hour, map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}))),
		"wrong issuer":  bearer(token(t, jose.HS256, hs, "", claims("https://evil", time.Hour, nil))),
		"wrong aud":     bearer(token(t, jose.HS256, hs, "", claims("https://issuer.local", time.Hour, map[string]any{"aud": "other"}))),
		"no exp":        bearer(token(t, jose.HS256, hs, "", map[string]any{"iss": "https://issuer.local", "aud": "api"})),
	} {
		if r := p.do("GET", "/hs", nil, h); r.status != 401 || r.json(t)["message"] != "Unauthorized" {
			t.Errorf("%s token: %d %s", name, r.status, r.body)
		}
	}

	if r := p.do("GET", "/rs", nil, bearer(token(t, jose.RS256, rsaKey, "rsa-1", claims("me", time.Hour, nil)))); r.status != 200 {
		t.Fatalf("valid RS256 via JWKS: %d %s", r.status, r.body)
	}
	if r := p.do("GET", "/rs", nil, bearer(token(t, jose.ES256, ecKey, "ec-1", claims("me", time.Hour, nil)))); r.status != 200 {
		t.Fatalf("valid ES256 via JWKS: %d %s", r.status, r.body)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p.do("GET", "/rs", nil, bearer(token(t, jose.RS256, other, "rsa-1", claims("me", time.Hour, nil)))).wantMessage(t, 401, "Unauthorized")
	p.do("GET", "/rs", nil, bearer(token(t, jose.RS256, rsaKey, "rsa-1", claims("me", -time.Second, nil)))).wantMessage(t, 401, "Unauthorized")
	// An HS256 token cannot pass as the JWKS's RSA key (algorithm confusion).
	p.do("GET", "/rs", nil, bearer(token(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "rsa-1", claims("me", time.Hour, nil)))).wantMessage(t, 401, "Unauthorized")
}

func TestRoutesAPIKeysAndQuota(t *testing.T) {
	dir := t.TempDir()
	p := startRoutes(t, dir)
	p.deploy(p.api, "echo", map[string]string{"app.py": echoPy})
	p.route(p.api, apiclient.Route{RouteKey: "GET /k", Function: "echo", Auth: apiclient.RouteAuth{Type: "apikey"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quota, err := p.api.CreateRouteKey(ctx, apiclient.RouteKey{QuotaPerDay: 3})
	if err != nil {
		t.Fatal(err)
	}
	rated, err := p.api.CreateRouteKey(ctx, apiclient.RouteKey{Rate: 0.001, Burst: 2})
	if err != nil {
		t.Fatal(err)
	}
	p.do("GET", "/k", nil, nil).wantMessage(t, 403, "Forbidden")
	p.do("GET", "/k", nil, map[string]string{"x-api-key": "uk-nope"}).wantMessage(t, 403, "Forbidden")
	for i := range 2 {
		if r := p.do("GET", "/k", nil, map[string]string{"x-api-key": rated.Value}); r.status != 200 {
			t.Fatalf("rated key, request %d: %d %s", i, r.status, r.body)
		}
	}
	r := p.do("GET", "/k", nil, map[string]string{"x-api-key": rated.Value})
	r.wantMessage(t, 429, "Too Many Requests")
	if !strings.Contains(string(r.body), "rate") {
		t.Errorf("rate 429 gives no reason: %s", r.body)
	}
	for i := range 2 {
		if r := p.do("GET", "/k", nil, map[string]string{"x-api-key": quota.Value}); r.status != 200 {
			t.Fatalf("quota key, request %d: %d %s", i, r.status, r.body)
		}
	}
	// The day's count survives a restart: one request left, then 429.
	p.stop()
	q := startRoutes(t, dir)
	if r := q.do("GET", "/k", nil, map[string]string{"x-api-key": quota.Value}); r.status != 200 {
		t.Fatalf("third request after restart: %d %s", r.status, r.body)
	}
	r = q.do("GET", "/k", nil, map[string]string{"x-api-key": quota.Value})
	r.wantMessage(t, 429, "Limit Exceeded")
	if !strings.Contains(string(r.body), "quota of 3") {
		t.Errorf("quota 429 gives no reason: %s", r.body)
	}
	keys, err := q.api.ListRouteKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].Value != "" {
		t.Fatalf("keys: %+v %v", keys, err)
	}
}

const authorizerPy = `calls = 0
def handler(event, context):
    global calls
    calls += 1
    tok = event["identitySource"][0]
    ok = event["type"] == "REQUEST" and event["version"] == "2.0" and tok != "deny"
    return {"isAuthorized": ok, "context": {"user": tok, "calls": calls, "route": event["routeKey"]}}
`

func TestRoutesLambdaAuthorizer(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	p.deploy(p.api, "echo", map[string]string{"app.py": echoPy})
	p.deploy(p.api, "authz", map[string]string{"app.py": authorizerPy})
	p.route(p.api, apiclient.Route{RouteKey: "GET /cached", Function: "echo", Auth: apiclient.RouteAuth{Type: "function", Function: "authz"}})
	zero := 0
	p.route(p.api, apiclient.Route{RouteKey: "GET /uncached", Function: "echo", Auth: apiclient.RouteAuth{Type: "function", Function: "authz",
		IdentitySource: []string{"$request.header.X-Token"}, TTLSeconds: &zero}})

	lambdaCtx := func(r reply) map[string]any {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)["requestContext"].(map[string]any)["authorizer"].(map[string]any)["lambda"].(map[string]any)
	}
	first := lambdaCtx(p.do("GET", "/cached", nil, map[string]string{"Authorization": "alice"}))
	again := lambdaCtx(p.do("GET", "/cached", nil, map[string]string{"Authorization": "alice"}))
	if first["user"] != "alice" || first["route"] != "GET /cached" || again["calls"] != first["calls"] {
		t.Fatalf("cached answer: first %v, again %v", first, again)
	}
	p.do("GET", "/cached", nil, nil).wantMessage(t, 401, "Unauthorized") // no identity: the authorizer is not asked
	p.do("GET", "/cached", nil, map[string]string{"Authorization": "deny"}).wantMessage(t, 403, "Forbidden")

	one := lambdaCtx(p.do("GET", "/uncached", nil, map[string]string{"X-Token": "bob"}))
	two := lambdaCtx(p.do("GET", "/uncached", nil, map[string]string{"X-Token": "bob"}))
	if one["calls"] == two["calls"] {
		t.Fatalf("TTL 0 cached the answer: %v %v", one, two)
	}
}

func TestRoutesSchemaAndCORS(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	p.deploy(p.api, "echo", map[string]string{"app.py": echoPy})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := p.api.PutRoute(ctx, apiclient.Route{RouteKey: "POST /bad", Function: "echo", Schema: json.RawMessage(`{"type": 12}`)})
	if err == nil || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("a bad schema was accepted: %v", err)
	}
	p.route(p.api, apiclient.Route{RouteKey: "POST /orders", Function: "echo", RequiredQuery: []string{"v"},
		Schema: json.RawMessage(`{"type":"object","required":["item","qty"],"properties":{"item":{"type":"string"},"qty":{"type":"integer","minimum":1}}}`),
		CORS: &apiclient.RouteCORS{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"POST", "PUT"},
			AllowHeaders: []string{"content-type"}, ExposeHeaders: []string{"x-one"}, MaxAge: 600}})

	r := p.do("POST", "/orders", []byte(`{"item": 5, "qty": 0}`), map[string]string{"Content-Type": "application/json"})
	if r.status != 400 || r.json(t)["message"] != "Invalid request" {
		t.Fatalf("invalid body: %d %s", r.status, r.body)
	}
	errs := r.json(t)["errors"].([]any)
	if len(errs) != 3 || !strings.Contains(string(r.body), "/item") || !strings.Contains(string(r.body), "/qty") {
		t.Fatalf("validation errors: %s", r.body)
	}
	if r := p.do("POST", "/orders?v=1", []byte(`{"item":"tea","qty":2}`), map[string]string{"Content-Type": "application/json"}); r.status != 200 {
		t.Fatalf("valid order: %d %s", r.status, r.body)
	}

	pre := p.do("OPTIONS", "/orders", nil, map[string]string{"Origin": "https://app.example",
		"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "Content-Type"})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		pre.header.Get("Access-Control-Allow-Methods") != "POST,PUT" || pre.header.Get("Access-Control-Max-Age") != "600" ||
		!strings.EqualFold(pre.header.Get("Access-Control-Allow-Headers"), "content-type") {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
	bad := p.do("OPTIONS", "/orders", nil, map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	if bad.status != 204 || bad.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from a foreign origin: %d %v", bad.status, bad.header)
	}
	actual := p.do("POST", "/orders?v=1", []byte(`{"item":"tea","qty":2}`), map[string]string{"Content-Type": "application/json", "Origin": "https://app.example"})
	if actual.status != 200 || actual.header.Get("Access-Control-Allow-Origin") != "https://app.example" || actual.header.Get("Access-Control-Expose-Headers") != "x-one" {
		t.Fatalf("actual CORS response: %d %v", actual.status, actual.header)
	}
	// Without CORS on the route, OPTIONS is an ordinary (here unmatched) request.
	p.do("OPTIONS", "/elsewhere", nil, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}).wantMessage(t, 404, "Not Found")
}

// TestRoutesAPIWideCORS: the API-wide configuration answers preflights of
// any path and decorates routes without their own; a route's own wins.
func TestRoutesAPIWideCORS(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	p.deploy(p.api, "echo", map[string]string{"app.py": echoPy})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.api.SetRouteCORS(ctx, &apiclient.RouteCORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	pre := p.do("OPTIONS", "/not/a/route", nil, map[string]string{"Origin": "https://x.example", "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "x-a"})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "*" || pre.header.Get("Access-Control-Allow-Methods") != "DELETE" ||
		pre.header.Get("Access-Control-Allow-Headers") != "x-a" {
		t.Fatalf("API-wide preflight: %d %v", pre.status, pre.header)
	}
	p.route(p.api, apiclient.Route{RouteKey: "GET /open", Function: "echo"})
	p.route(p.api, apiclient.Route{RouteKey: "GET /own", Function: "echo", CORS: &apiclient.RouteCORS{AllowOrigins: []string{"https://only.example"}}})
	if r := p.do("GET", "/open", nil, map[string]string{"Origin": "https://x.example"}); r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("API-wide CORS on a route without its own: %v", r.header)
	}
	if r := p.do("GET", "/own", nil, map[string]string{"Origin": "https://x.example"}); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a route's own CORS did not win: %v", r.header)
	}
	if err := p.api.SetRouteCORS(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if r := p.do("GET", "/open", nil, map[string]string{"Origin": "https://x.example"}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("removed API-wide CORS still applies: %v", r.header)
	}
}
