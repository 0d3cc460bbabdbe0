package event

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestProxyRequestGolden pins payload format 1.0: headers as sent with
// the last value in headers and all in multiValueHeaders, Cookie kept,
// query parameters likewise, resource the route's path, the stage, null
// for what is absent, a binary body base64-encoded, the authorizer's
// claims and a Lambda authorizer's context.
func TestProxyRequestGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)
	in := HTTPRequestInput{
		RequestID: "req-1", RouteKey: "POST /items/{id}/{rest+}", RawPath: "/items/7/tags",
		AccountID: "000000000001", APIID: "default", DomainName: "api.localhost:8088", DomainPrefix: "api",
		PathParameters: map[string]string{"id": "7", "rest": "tags"}, Stage: "Prod", Forwarded: true, Now: at,
	}
	text := in
	text.Body = []byte(`{"tag":"red"}`)
	golden(t, "apigw-proxy-request-text", NewProxyRequest(apigwRequest(`{"tag":"red"}`, "application/json"), text))

	bin := in
	bin.Body = []byte{0, 1, 2, 0xff}
	bin.Stage = ""
	bin.Authorizer = &HTTPAuthorizer{JWT: &JWTAuthorizer{
		Claims: map[string]string{"sub": "u-1", "iss": "me"}, Scopes: []string{"read"},
	}}
	golden(t, "apigw-proxy-request-binary-jwt", NewProxyRequest(apigwRequest("\x00\x01\x02\xff", "application/octet-stream"), bin))

	plain := HTTPRequestInput{RequestID: "req-2", RouteKey: "GET /", RawPath: "/", AccountID: "000000000001",
		APIID: "default", DomainName: "127.0.0.1:8088", DomainPrefix: "127", Stage: "Prod", APIKey: "k-123", Now: at,
		Authorizer: &HTTPAuthorizer{Lambda: map[string]any{"user": "alice", "level": 3}}}
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8088/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header = http.Header{}
	golden(t, "apigw-proxy-request-minimal-lambda-authorizer", NewProxyRequest(r, plain))
}

// TestProxyRequestReadableByAWSLambdaGo checks a Go function built on
// aws-lambda-go's events.APIGatewayProxyRequest reads the event.
func TestProxyRequestReadableByAWSLambdaGo(t *testing.T) {
	in := HTTPRequestInput{RequestID: "req-1", RouteKey: "ANY /{proxy+}", RawPath: "/items/7/tags",
		AccountID: "000000000001", APIID: "default", DomainName: "d", DomainPrefix: "d", Stage: "Prod",
		PathParameters: map[string]string{"proxy": "items/7/tags"}, Body: []byte("hi"), Forwarded: true,
		Authorizer: &HTTPAuthorizer{JWT: &JWTAuthorizer{Claims: map[string]string{"sub": "u"}}}}
	b, err := Encode(NewProxyRequest(apigwRequest("hi", "text/plain"), in))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	c := ev.RequestContext
	if ev.Resource != "/{proxy+}" || ev.Path != "/items/7/tags" || ev.HTTPMethod != "POST" || ev.PathParameters["proxy"] != "items/7/tags" ||
		ev.Body != "hi" || ev.IsBase64Encoded || ev.QueryStringParameters["x"] != "2" || len(ev.MultiValueQueryStringParameters["x"]) != 2 ||
		ev.Headers["X-Repeated"] != "two" || len(ev.MultiValueHeaders["X-Repeated"]) != 2 || ev.Headers["Cookie"] != "lang=en" ||
		ev.Headers["X-Forwarded-For"] != "192.0.2.10, 192.0.2.10" || ev.Headers["Host"] != "api.localhost:8088" ||
		c.Stage != "Prod" || c.ResourcePath != "/{proxy+}" || c.HTTPMethod != "POST" || c.Identity.SourceIP != "192.0.2.10" ||
		c.Identity.UserAgent != "curl/8.5.0" || c.RequestTimeEpoch == 0 || len(c.ResourceID) != 6 || c.APIID != "default" ||
		c.Authorizer["claims"].(map[string]any)["sub"] != "u" {
		t.Fatalf("aws-lambda-go read %+v", ev)
	}
}

func TestParseProxyResponse(t *testing.T) {
	for _, tc := range []struct {
		payload    string
		status     int
		body       string
		contentTyp string
		multi      []string
		bad        bool
	}{
		{payload: `{"statusCode":201,"body":"made","headers":{"content-type":"text/plain"}}`, status: 201, body: "made", contentTyp: "text/plain"},
		{payload: `{"statusCode":200,"body":"{\"a\":1}"}`, status: 200, body: `{"a":1}`, contentTyp: "application/json"},
		{payload: `{"statusCode":204}`, status: 204, contentTyp: "application/json"},
		{payload: `{"statusCode":200,"multiValueHeaders":{"Content-Type":["text/html"],"X-M":["a","b"]},"body":"<p>"}`, status: 200, body: "<p>", multi: []string{"a", "b"}},
		{payload: `{"statusCode":200,"body":"AAH/","isBase64Encoded":true,"headers":{"Content-Type":"image/png"}}`, status: 200, body: "\x00\x01\xff"},
		// 1.0 infers nothing: a reply that is not a full response is a 502.
		{payload: `{"hello":"world"}`, bad: true},
		{payload: `"just a string"`, bad: true},
		{payload: `[1,2]`, bad: true},
		{payload: `null`, bad: true},
		{payload: `{"statusCode":200,"body":{"a":1}}`, bad: true},
		{payload: `{"statusCode":"200"}`, bad: true},
		{payload: `{"statusCode":42}`, bad: true},
		{payload: `{"statusCode":200,"headers":{"x":["a"]}}`, bad: true},
		{payload: `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, bad: true},
	} {
		resp, body, err := ParseProxyResponse([]byte(tc.payload))
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted", tc.payload)
			}
			continue
		}
		if err != nil || resp.StatusCode != tc.status || string(body) != tc.body || resp.Headers["content-type"] != tc.contentTyp ||
			len(tc.multi) > 0 && len(resp.MultiValueHeaders["X-M"]) != len(tc.multi) || resp.Cookies != nil {
			t.Errorf("%s: %+v %q %v", tc.payload, resp, body, err)
		}
	}
}
