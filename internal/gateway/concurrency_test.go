package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const pySleep = `import time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"ok": True}
`

func TestConcurrencyAndThrottling(t *testing.T) {
	url, key, d := server(t)
	r := call(t, "POST", url+"/v1/functions", key, deployBody(t,
		map[string]any{"name": "nap", "runtime": "python3", "handler": "app.handler"}, zipOf(t, map[string]string{"app.py": pySleep})))
	if r.status != 201 {
		t.Fatalf("deploy %d %s", r.status, r.body)
	}
	cc := url + "/v1/functions/nap/concurrency"
	inv := url + "/2015-03-31/functions/nap/invocations"

	wantError(t, call(t, "PUT", cc, key, []byte(`{"reserved":`)), 400, "InvalidRequestContentException", "JSON")
	wantError(t, call(t, "PUT", cc, key, []byte(`{"reserved":1,"provisioned":2}`)), 400, "InvalidParameterValueException", "exceeds reserved")
	wantError(t, call(t, "PUT", cc, key, []byte(`{"reserved":-1}`)), 400, "InvalidParameterValueException", "out of range")
	wantError(t, call(t, "PUT", url+"/v1/functions/nosuch/concurrency", key, []byte(`{"reserved":1}`)), 404, "ResourceNotFoundException", "not found")
	other, err := d.Registry().CreateAPIKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, call(t, "GET", cc, other, nil), 404, "ResourceNotFoundException", "not found")

	// Reserved 0: disabled, 429 at once with the reason and Retry-After.
	if r := call(t, "PUT", cc, key, []byte(`{"reserved":0}`)); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	thr := call(t, "POST", inv, key, []byte(`{}`))
	wantError(t, thr, 429, "TooManyRequestsException", "reserved concurrency 0")
	var body struct{ Reason string }
	_ = json.Unmarshal(thr.body, &body)
	if body.Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" || thr.header.Get("Retry-After") == "" {
		t.Fatalf("429 reason %q Retry-After %q", body.Reason, thr.header.Get("Retry-After"))
	}

	// Reserved 1: a second call while one runs waits the bounded wait,
	// then gets 429.
	if r := call(t, "PUT", cc, key, []byte(`{"reserved":1}`)); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	first := make(chan reply, 1)
	go func() { first <- call(t, "POST", inv, key, []byte(`{"sleep":3}`)) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		in := call(t, "GET", url+"/v1/functions/nap/instances", key, nil)
		if strings.Contains(string(in.body), `"in_flight":1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first call never in flight: %s", in.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantError(t, call(t, "POST", inv, key, []byte(`{}`)), 429, "TooManyRequestsException", "reserved concurrency")
	if r := <-first; r.status != 200 {
		t.Fatalf("first call: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", inv, key, []byte(`{}`)); r.status != 200 {
		t.Fatalf("call after the first ended: %d %s", r.status, r.body)
	}

	get := call(t, "GET", cc, key, nil)
	if get.status != 200 || strings.TrimSpace(string(get.body)) != `{"reserved":1}` {
		t.Fatalf("get: %d %s", get.status, get.body)
	}
	if r := call(t, "DELETE", cc, key, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}

	// The throttles are counted at /metrics, by tenant and function.
	m := call(t, "GET", url+"/metrics", key, nil)
	if m.status != 200 || !strings.Contains(string(m.body), `updraft_throttles_total{function="nap",reason="ReservedFunctionConcurrentInvocationLimitExceeded",tenant="default"} 2`) {
		t.Fatalf("/metrics %d:\n%s", m.status, m.body)
	}
}
