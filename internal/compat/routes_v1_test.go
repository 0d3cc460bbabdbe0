package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// restPy is a REST API handler as `sam init`'s hello world writes them: it
// reads payload 1.0's fields (httpMethod, path, resource, pathParameters,
// multiValueQueryStringParameters) and answers statusCode, headers,
// multiValueHeaders and body; /rest/bare returns a bare object, which 1.0
// does not infer a response from.
const restPy = `import json
def handler(event, context):
    if event["path"] == "/rest/bare":
        return {"hello": "world"}
    q = event["multiValueQueryStringParameters"] or {}
    out = {"method": event["httpMethod"], "path": event["path"], "resource": event["resource"],
           "params": event["pathParameters"], "tags": q.get("tag"), "last": (event["queryStringParameters"] or {}).get("tag"),
           "stage": event["requestContext"]["stage"], "resourcePath": event["requestContext"]["resourcePath"],
           "sourceIp": event["requestContext"]["identity"]["sourceIp"], "body": event["body"],
           "multiHeader": event["multiValueHeaders"].get("X-Two"), "hasVersion": "version" in event}
    return {"statusCode": 207, "headers": {"X-Kind": "rest"}, "multiValueHeaders": {"X-Multi": ["a", "b"]},
            "body": json.dumps(out)}
`

// TestRoutesPayloadV1: a route with payloadFormatVersion 1.0 hands its
// function REST's proxy event and honours its statusCode, headers,
// multiValueHeaders and body; a reply that is not a full response is a 502.
func TestRoutesPayloadV1(t *testing.T) {
	p := startRoutes(t, t.TempDir())
	p.deploy(p.api, "rest", map[string]string{"app.py": restPy})
	p.route(p.api, apiclient.Route{RouteKey: "ANY /rest/{kind}/{rest+}", Function: "rest", PayloadFormatVersion: "1.0", Stage: "Prod"})
	p.route(p.api, apiclient.Route{RouteKey: "GET /rest/bare", Function: "rest", PayloadFormatVersion: "1.0", Stage: "Prod"})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	routes, err := p.api.ListRoutes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.PayloadFormatVersion != "1.0" || r.Stage != "Prod" {
			t.Errorf("listed %s with payload %q stage %q", r.RouteKey, r.PayloadFormatVersion, r.Stage)
		}
	}
	if _, err := p.api.PutRoute(ctx, apiclient.Route{RouteKey: "GET /x", Function: "rest", PayloadFormatVersion: "3.0"}); err == nil ||
		!strings.Contains(err.Error(), "payloadFormatVersion") {
		t.Errorf("payloadFormatVersion 3.0: %v", err)
	}

	r := p.do("POST", "/rest/things/a/b?tag=x&tag=y", []byte("hi"), map[string]string{"Content-Type": "text/plain", "X-Two": "v"})
	if r.status != 207 || r.header.Get("X-Kind") != "rest" || strings.Join(r.header.Values("X-Multi"), ",") != "a,b" ||
		r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("reply %d %v %s", r.status, r.header, r.body)
	}
	got := r.json(t)
	params, _ := got["params"].(map[string]any)
	tags, _ := got["tags"].([]any)
	if got["method"] != "POST" || got["path"] != "/rest/things/a/b" || got["resource"] != "/rest/{kind}/{rest+}" ||
		params["kind"] != "things" || params["rest"] != "a/b" || len(tags) != 2 || tags[0] != "x" || got["last"] != "y" ||
		got["stage"] != "Prod" || got["resourcePath"] != "/rest/{kind}/{rest+}" || got["sourceIp"] != "127.0.0.1" ||
		got["body"] != "hi" || got["hasVersion"] != false {
		t.Fatalf("the function read %s", r.body)
	}
	p.do("GET", "/rest/bare", nil, nil).wantMessage(t, 502, "Internal Server Error")
}
