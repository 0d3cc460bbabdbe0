package event

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func apigwRequest(body string, ct string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://api.localhost:8088/items/7/tags?x=1&x=2&y=&z=a%20b", strings.NewReader(body))
	r.RemoteAddr = "192.0.2.10:43211"
	r.Header = http.Header{
		"User-Agent":      {"curl/8.5.0"},
		"X-Repeated":      {"one", "two"},
		"Cookie":          {"session=abc; theme=dark", "lang=en"},
		"Authorization":   {"Bearer t"},
		"X-Forwarded-For": {"192.0.2.10"},
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r
}

// TestHTTPRequestGolden pins payload format 2.0: lower-case headers with
// repeated values comma-joined, cookies split out of Cookie, repeated
// query parameters joined, path parameters, a text body as is and a
// binary one base64-encoded, the authorizer's claims.
func TestHTTPRequestGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)
	in := HTTPRequestInput{
		RequestID: "req-1", RouteKey: "POST /items/{id}/tags", RawPath: "/items/7/tags",
		AccountID: "000000000001", APIID: "default", DomainName: "api.localhost:8088", DomainPrefix: "api",
		PathParameters: map[string]string{"id": "7"}, Now: at,
	}
	text := in
	text.Body = []byte(`{"tag":"red"}`)
	golden(t, "apigw-http-request-text", NewHTTPRequest(apigwRequest(`{"tag":"red"}`, "application/json"), text))

	bin := in
	bin.Body = []byte{0, 1, 2, 0xff}
	bin.Forwarded = true
	bin.Authorizer = &HTTPAuthorizer{JWT: &JWTAuthorizer{
		Claims: map[string]string{"sub": "u-1", "iss": "me", "aud": `["api"]`, "exp": "1772353800"},
		Scopes: []string{"read", "write"},
	}}
	golden(t, "apigw-http-request-binary-jwt", NewHTTPRequest(apigwRequest("\x00\x01\x02\xff", "application/octet-stream"), bin))

	plain := HTTPRequestInput{RequestID: "req-2", RouteKey: "$default", RawPath: "/", AccountID: "000000000001",
		APIID: "default", DomainName: "127.0.0.1:8088", DomainPrefix: "127", Now: at,
		Authorizer: &HTTPAuthorizer{Lambda: map[string]any{"user": "alice", "level": 3}}}
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8088/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header = http.Header{}
	golden(t, "apigw-http-request-minimal-lambda-authorizer", NewHTTPRequest(r, plain))
}

// TestHTTPRequestReadableByAWSLambdaGo checks a Go function built on
// aws-lambda-go's events.APIGatewayV2HTTPRequest reads the event.
func TestHTTPRequestReadableByAWSLambdaGo(t *testing.T) {
	in := HTTPRequestInput{RequestID: "req-1", RouteKey: "POST /items/{id}/tags", RawPath: "/items/7/tags",
		AccountID: "000000000001", APIID: "default", DomainName: "d", DomainPrefix: "d",
		PathParameters: map[string]string{"id": "7"}, Body: []byte("hi"),
		Authorizer: &HTTPAuthorizer{JWT: &JWTAuthorizer{Claims: map[string]string{"sub": "u"}}}}
	b, err := Encode(NewHTTPRequest(apigwRequest("hi", "text/plain"), in))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "2.0" || ev.RouteKey != "POST /items/{id}/tags" || ev.PathParameters["id"] != "7" || ev.Body != "hi" ||
		ev.QueryStringParameters["x"] != "1,2" || ev.Headers["x-repeated"] != "one,two" || len(ev.Cookies) != 3 ||
		ev.RequestContext.HTTP.Method != "POST" || ev.RequestContext.HTTP.SourceIP != "192.0.2.10" ||
		ev.RequestContext.Stage != "$default" || ev.RequestContext.Authorizer.JWT.Claims["sub"] != "u" {
		t.Fatalf("aws-lambda-go read %+v", ev)
	}
}

func TestParseHTTPResponse(t *testing.T) {
	for _, tc := range []struct {
		payload    string
		status     int
		body       string
		contentTyp string
		bad        bool
	}{
		{`{"hello":"world"}`, 200, `{"hello":"world"}`, "application/json", false},
		{`"just a string"`, 200, `"just a string"`, "application/json", false},
		{`[1,2]`, 200, `[1,2]`, "application/json", false},
		{`{"statusCode":201,"body":"made","headers":{"content-type":"text/plain"}}`, 201, "made", "text/plain", false},
		{`{"statusCode":200,"body":"AAH/","isBase64Encoded":true}`, 200, "\x00\x01\xff", "", false},
		{`{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, 0, "", "", true},
		{`{"statusCode":"200"}`, 0, "", "", true},
		{`{"statusCode":42}`, 0, "", "", true},
	} {
		resp, body, err := ParseHTTPResponse([]byte(tc.payload))
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted", tc.payload)
			}
			continue
		}
		if err != nil || resp.StatusCode != tc.status || string(body) != tc.body || resp.Headers["content-type"] != tc.contentTyp {
			t.Errorf("%s: %+v %q %v", tc.payload, resp, body, err)
		}
	}
}

// TestHTTPRequestAppendJSONMatchesEncode: the hand-written encoder writes
// exactly what encoding/json writes, for every field and awkward strings.
func TestHTTPRequestAppendJSONMatchesEncode(t *testing.T) {
	odd := "q\"b\\s\b\f\n\r\t\x01\x1f<>&\u2028\u2029é\xff\xfe end"
	at := time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)
	full := NewHTTPRequest(apigwRequest(odd, "text/plain"), HTTPRequestInput{
		RequestID: odd, RouteKey: "GET /{x}", RawPath: "/" + odd, AccountID: "1", APIID: "a", DomainName: "d", DomainPrefix: "p",
		Body: []byte("body " + odd), PathParameters: map[string]string{odd: odd, "b": "2", "a": ""}, Forwarded: true, Now: at,
		Authorizer: &HTTPAuthorizer{JWT: &JWTAuthorizer{Claims: map[string]string{"sub": odd}}, Lambda: map[string]any{"n": 1.5, "s": odd, "l": []any{true, nil}}},
	})
	full.Type, full.RouteArn, full.IdentitySource = "REQUEST", "arn:x", []string{odd, ""}
	bare := &HTTPRequest{Version: "2.0", RequestContext: HTTPRequestContext{Authorizer: &HTTPAuthorizer{JWT: &JWTAuthorizer{Scopes: []string{}}}}}
	empty := &HTTPRequest{RequestContext: HTTPRequestContext{Authorizer: &HTTPAuthorizer{}}}
	for i, ev := range []*HTTPRequest{full, bare, empty, {}} {
		want, err := Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ev.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
