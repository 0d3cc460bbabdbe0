package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// routesPlatform is a daemon with its routes listener on 127.0.0.1:0.
type routesPlatform struct {
	t      *testing.T
	dir    string
	d      *daemon.Daemon
	api    *apiclient.Client
	routes string // http://host:port of the routes listener
}

func startRoutes(t *testing.T, dir string) *routesPlatform {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Listen = "127.0.0.1:0"
	cfg.RoutesListen = "127.0.0.1:0"
	cfg.StemCells = 0
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p := &routesPlatform{t: t, dir: dir, d: d}
	t.Cleanup(func() { p.stop() })
	admin, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	p.api = apiclient.New("http://"+d.Addr(), strings.TrimSpace(string(admin)))
	p.routes = "http://" + d.RoutesAddr()
	return p
}

func (p *routesPlatform) stop() {
	if p.d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.d.Close(ctx); err != nil {
		p.t.Errorf("close daemon: %v", err)
	}
	p.d = nil
}

// echoZip answers by its path: /fail raises, /slow outlives its timeout,
// /bare returns bare JSON, /full a full response with headers,
// multiValueHeaders and cookies, /binary a base64 body; anything else
// returns its event as JSON.
const echoPy = `import json, time, base64
def handler(event, context):
    p = event.get("rawPath", "")
    if p.startswith("/fail"):
        raise ValueError("boom")
    if p.startswith("/slow"):
        time.sleep(3)
    if p.startswith("/bare"):
        return {"hello": "world", "n": 1}
    if p.startswith("/full"):
        return {"statusCode": 201, "headers": {"x-one": "1", "content-type": "text/plain"},
                "multiValueHeaders": {"x-multi": ["a", "b"]}, "cookies": ["a=1; Path=/", "b=2"], "body": "created"}
    if p.startswith("/binary"):
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(b"\x00\x01\xff").decode(), "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
`

func (p *routesPlatform) deploy(api *apiclient.Client, name string, files map[string]string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: name, Runtime: "python3.12", Handler: "app.handler",
		TimeoutSec: 1, Zip: zipOf(p.t, files)}); err != nil {
		p.t.Fatalf("deploy %s: %v", name, err)
	}
}

func (p *routesPlatform) route(api *apiclient.Client, r apiclient.Route) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := api.PutRoute(ctx, r); err != nil {
		p.t.Fatalf("route %s: %v", r.RouteKey, err)
	}
}

// reply is one answer of the routes listener.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("reply %d is not JSON: %s", r.status, r.body)
	}
	return m
}

// wantMessage checks an API Gateway error reply.
func (r reply) wantMessage(t *testing.T, status int, msg string) {
	t.Helper()
	if r.status != status || r.json(t)["message"] != msg || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("want %d {\"message\":%q}, got %d %s %s", status, msg, r.status, r.header.Get("Content-Type"), r.body)
	}
}

func (p *routesPlatform) do(method, path string, body []byte, header map[string]string) reply {
	p.t.Helper()
	req, err := http.NewRequest(method, p.routes+path, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// TestRoutesEndToEnd: routes on a real daemon, reached with net/http.
func TestRoutesEndToEnd(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	p.deploy(p.api, "echo", map[string]string{"app.py": echoPy})
	for _, k := range []string{"GET /items/{id}", "POST /items/{id}", "ANY /files/{path+}", "GET /bare", "GET /full",
		"GET /binary", "GET /fail", "GET /slow", "GET /throttled"} {
		p.route(p.api, apiclient.Route{RouteKey: k, Function: "echo"})
	}

	t.Run("path parameters and the 2.0 event", func(t *testing.T) {
		r := p.do("GET", "/items/42?tag=a&tag=b", nil, map[string]string{"Cookie": "s=1; t=2", "X-Two": "x"})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		ev := r.json(t)
		ctx := ev["requestContext"].(map[string]any)
		httpCtx := ctx["http"].(map[string]any)
		if ev["version"] != "2.0" || ev["routeKey"] != "GET /items/{id}" || ev["rawPath"] != "/items/42" ||
			ev["rawQueryString"] != "tag=a&tag=b" || ev["pathParameters"].(map[string]any)["id"] != "42" ||
			ev["queryStringParameters"].(map[string]any)["tag"] != "a,b" || len(ev["cookies"].([]any)) != 2 ||
			ev["headers"].(map[string]any)["x-two"] != "x" || ctx["stage"] != "$default" || ctx["accountId"] != fn.AccountID("default") ||
			httpCtx["method"] != "GET" || httpCtx["sourceIp"] != "127.0.0.1" || ev["isBase64Encoded"] != false {
			t.Fatalf("event: %s", r.body)
		}
		if r.header.Get("Apigw-Requestid") != ctx["requestId"] {
			t.Errorf("request id header %q, event %v", r.header.Get("Apigw-Requestid"), ctx["requestId"])
		}
	})
	t.Run("greedy and binary body", func(t *testing.T) {
		r := p.do("PUT", "/files/a/b/c.bin", []byte{0, 1, 2, 0xfe}, map[string]string{"Content-Type": "application/octet-stream"})
		ev := r.json(t)
		if ev["routeKey"] != "ANY /files/{path+}" || ev["pathParameters"].(map[string]any)["path"] != "a/b/c.bin" ||
			ev["isBase64Encoded"] != true || ev["body"] != "AAEC/g==" {
			t.Fatalf("event: %s", r.body)
		}
		r = p.do("POST", "/items/1", []byte(`{"a":1}`), map[string]string{"Content-Type": "application/json"})
		if ev := r.json(t); ev["body"] != `{"a":1}` || ev["isBase64Encoded"] != false {
			t.Fatalf("text body: %s", r.body)
		}
	})
	t.Run("404s", func(t *testing.T) {
		p.do("GET", "/nothing", nil, nil).wantMessage(t, 404, "Not Found")
		p.do("DELETE", "/items/1", nil, nil).wantMessage(t, 404, "Not Found") // known path, other method
		p.do("GET", "/files", nil, nil).wantMessage(t, 404, "Not Found")      // {path+} needs a segment
	})
	t.Run("response mapping", func(t *testing.T) {
		r := p.do("GET", "/bare", nil, nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" || r.json(t)["hello"] != "world" {
			t.Fatalf("bare JSON: %d %v %s", r.status, r.header, r.body)
		}
		r = p.do("GET", "/full", nil, nil)
		if r.status != 201 || string(r.body) != "created" || r.header.Get("X-One") != "1" || r.header.Get("Content-Type") != "text/plain" ||
			strings.Join(r.header.Values("X-Multi"), ",") != "a,b" || strings.Join(r.header.Values("Set-Cookie"), "|") != "a=1; Path=/|b=2" {
			t.Fatalf("full: %d %v %q", r.status, r.header, r.body)
		}
		r = p.do("GET", "/binary", nil, nil)
		if r.status != 200 || !bytes.Equal(r.body, []byte{0, 1, 0xff}) {
			t.Fatalf("binary: %d %q", r.status, r.body)
		}
	})
	t.Run("502 504 429 413", func(t *testing.T) {
		p.do("GET", "/fail", nil, nil).wantMessage(t, 502, "Internal Server Error")
		p.do("GET", "/slow", nil, nil).wantMessage(t, 504, "Endpoint request timed out")
		p.deploy(p.api, "off", map[string]string{"app.py": echoPy})
		zero := 0
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := p.api.PutConcurrency(ctx, "off", fn.Concurrency{Reserved: &zero}); err != nil {
			t.Fatal(err)
		}
		p.route(p.api, apiclient.Route{RouteKey: "GET /throttled", Function: "off"})
		waitRoute(t, p, "GET", "/throttled", 429)
		p.do("GET", "/throttled", nil, nil).wantMessage(t, 429, "Too Many Requests")
		p.do("POST", "/items/1", bytes.Repeat([]byte("x"), 10<<20+1), nil).wantMessage(t, 413, "Request Entity Too Large")
	})
	t.Run("$default and a second tenant by host", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := p.api.CreateTenant(ctx, "acme", nil); err != nil {
			t.Fatal(err)
		}
		k, err := p.api.CreateKey(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		acme := apiclient.New("http://"+p.d.Addr(), k.APIKey)
		p.deploy(acme, "echo", map[string]string{"app.py": echoPy})
		p.route(acme, apiclient.Route{RouteKey: "$default", Function: "echo"})
		r := p.do("GET", "/nothing", nil, map[string]string{"Host": "acme.localhost:8088"})
		ev := r.json(t)
		if r.status != 200 || ev["routeKey"] != "$default" || ev["requestContext"].(map[string]any)["accountId"] != fn.AccountID("acme") {
			t.Fatalf("acme $default: %d %s", r.status, r.body)
		}
		// The default tenant's routes are not acme's, and the reverse.
		p.do("GET", "/items/1", nil, map[string]string{"Host": "other.localhost"}).wantMessage(t, 404, "Not Found")
		p.do("GET", "/nothing", nil, nil).wantMessage(t, 404, "Not Found")
		routes, err := acme.ListRoutes(ctx)
		if err != nil || len(routes) != 1 || routes[0].RouteKey != "$default" {
			t.Fatalf("acme's routes: %+v %v", routes, err)
		}
		// A tenant's routes are among what it owns: deleting it refuses,
		// or with force takes them too.
		if err := acme.DeleteFunction(ctx, "echo"); err != nil {
			t.Fatal(err)
		}
		if err := p.api.DeleteTenant(ctx, "acme", false); err == nil || !strings.Contains(err.Error(), "1 HTTP routes and route keys") {
			t.Fatalf("deleting acme with a route: %v", err)
		}
		if err := p.api.DeleteTenant(ctx, "acme", true); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			r := p.do("GET", "/nothing", nil, map[string]string{"Host": "acme.localhost"})
			if r.status == 404 {
				r.wantMessage(t, 404, "Not Found")
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the deleted tenant's route still answers %d", r.status)
			}
		}
	})
	t.Run("rm and restart survival", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.api.DeleteRoute(ctx, "GET /bare"); err != nil {
			t.Fatal(err)
		}
		waitRoute(t, p, "GET", "/bare", 404)
		err := p.api.DeleteRoute(ctx, "GET /bare")
		var ae *apiclient.Error
		if err == nil || !errors.As(err, &ae) || ae.Status != 404 {
			t.Fatalf("second rm: %v", err)
		}
		p.stop()
		q := startRoutes(t, p.dir)
		r := q.do("GET", "/items/9", nil, nil)
		if r.status != 200 || r.json(t)["pathParameters"].(map[string]any)["id"] != "9" {
			t.Fatalf("after restart: %d %s", r.status, r.body)
		}
		q.do("GET", "/bare", nil, nil).wantMessage(t, 404, "Not Found")
	})
}

// waitRoute polls until method path answers status: a route change
// reaches the listener through the bucket's watch, a moment after the API
// call returns.
func waitRoute(t *testing.T, p *routesPlatform, method, path string, status int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := p.do(method, path, nil, nil)
		if r.status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s still answers %d %s, want %d", method, path, r.status, r.body, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRoutesFromUpdraftYAML: `type: http` triggers are applied at deploy
// (inline and file schemas, CORS, auth), replaced by a redeploy that lists
// others, removed when no longer declared, and a CLI route beside them is
// left alone.
func TestRoutesFromUpdraftYAML(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	deploy := func(yaml string) error {
		_, _, err := p.api.Deploy(ctx, apiclient.DeployRequest{Zip: zipOf(t, map[string]string{
			"app.py": echoPy, "updraft.yaml": yaml,
			"schemas/item.json": `{"type":"object","required":["name"]}`,
		})})
		return err
	}
	const head = "name: shop\nruntime: python3.12\nhandler: app.handler\ntriggers:\n"
	if err := deploy(head + `  - type: http
    route: GET /items/{id}
  - type: http
    route: POST /items
    schema: schemas/item.json
    cors: {origins: ["https://app.example"], methods: [POST]}
  - type: http
    route: PUT /items/{id}
    auth: jwt
    jwt: {secret: abcdefabcdefabcdefabcdefabcdefab, issuer: me, audience: api}
    schema: {type: object, required: [qty]}
`); err != nil {
		t.Fatal(err)
	}
	p.deploy(p.api, "other", map[string]string{"app.py": echoPy})
	p.route(p.api, apiclient.Route{RouteKey: "GET /cli", Function: "other"})
	if r := p.do("GET", "/items/3", nil, nil); r.status != 200 || r.json(t)["pathParameters"].(map[string]any)["id"] != "3" {
		t.Fatalf("yaml route: %d %s", r.status, r.body)
	}
	p.do("POST", "/items", []byte(`{}`), map[string]string{"Content-Type": "application/json"}).wantMessage(t, 400, "Invalid request")
	p.do("PUT", "/items/3", []byte(`{"qty":1}`), nil).wantMessage(t, 401, "Unauthorized")
	routes, err := p.api.ListRoutes(ctx)
	if err != nil || len(routes) != 4 {
		t.Fatalf("routes: %+v %v", routes, err)
	}
	for _, r := range routes {
		if want := map[bool]string{true: "", false: "yaml:shop"}[r.RouteKey == "GET /cli"]; r.Owner != want {
			t.Errorf("%s owner %q, want %q", r.RouteKey, r.Owner, want)
		}
	}

	// Bad declarations are refused before anything changes.
	for yaml, want := range map[string]string{
		head + "  - type: http\n    route: GET /x\n    schema: {type: 12}\n":            "schema",
		head + "  - type: http\n    route: FETCH /x\n":                                  "method FETCH",
		head + "  - type: http\n    route: GET /x\n    color: red\n":                    "unknown field",
		head + "  - type: http\n    route: GET /x\n  - type: http\n    route: get /x\n": "twice",
	} {
		if err := deploy(yaml); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("deploy %q: %v, want %q", yaml, err, want)
		}
	}
	if r := p.do("GET", "/items/3", nil, nil); r.status != 200 {
		t.Fatalf("a refused deploy changed the routes: %d", r.status)
	}

	if err := deploy(head + "  - type: http\n    route: GET /v2/items/{id}\n"); err != nil {
		t.Fatal(err)
	}
	p.do("GET", "/items/3", nil, nil).wantMessage(t, 404, "Not Found")
	if r := p.do("GET", "/v2/items/3", nil, nil); r.status != 200 {
		t.Fatalf("redeployed route: %d %s", r.status, r.body)
	}
	if err := deploy("name: shop\nruntime: python3.12\nhandler: app.handler\n"); err != nil {
		t.Fatal(err)
	}
	p.do("GET", "/v2/items/3", nil, nil).wantMessage(t, 404, "Not Found")
	if r := p.do("GET", "/cli", nil, nil); r.status != 200 {
		t.Fatalf("the CLI route went with the yaml ones: %d", r.status)
	}
	if routes, err := p.api.ListRoutes(ctx); err != nil || len(routes) != 1 {
		t.Fatalf("after removing the triggers: %+v %v", routes, err)
	}
	// Deleting the function removes the routes it declared.
	if err := deploy(head + "  - type: http\n    route: GET /gone\n"); err != nil {
		t.Fatal(err)
	}
	if r := p.do("GET", "/gone", nil, nil); r.status != 200 {
		t.Fatalf("GET /gone: %d", r.status)
	}
	if err := p.api.DeleteFunction(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	waitRoute(t, p, "GET", "/gone", 404)
	if routes, err := p.api.ListRoutes(ctx); err != nil || len(routes) != 1 || routes[0].RouteKey != "GET /cli" {
		t.Fatalf("after deleting the function: %+v %v", routes, err)
	}
}
