package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCORSWildcardWithCredentials: browsers refuse "*" on credentialed
// requests, so a wildcard then answers with what was asked.
func TestCORSWildcardWithCredentials(t *testing.T) {
	c, err := parseCORS(json.RawMessage(`{"AllowOrigins":["*"],"AllowMethods":["*"],"AllowHeaders":["*"],"AllowCredentials":true}`))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("OPTIONS", "/url/x/", nil)
	r.Header.Set("Origin", "https://a.example")
	r.Header.Set("Access-Control-Request-Method", "PATCH")
	r.Header.Set("Access-Control-Request-Headers", "x-one, x-two")
	w := httptest.NewRecorder()
	writePreflight(w, r, c)
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin": "https://a.example", "Access-Control-Allow-Methods": "PATCH",
		"Access-Control-Allow-Headers": "x-one, x-two", "Access-Control-Allow-Credentials": "true",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	h := http.Header{}
	setCORSHeaders(h, c, "https://b.example")
	if h.Get("Access-Control-Allow-Origin") != "https://b.example" || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("response headers %v", h)
	}
}

func TestParseCORS(t *testing.T) {
	for raw, ok := range map[string]bool{
		``: true, `null`: true, `{}`: true,
		`{"AllowOrigins":["https://a"],"AllowMethods":["GET","PUT","HEAD","POST","PATCH","DELETE"],"MaxAge":86400}`: true,
		`{"AllowMethods":["GET","PUT","HEAD","POST","PATCH","DELETE","*"]}`:                                         false,
		`{"AllowMethods":["get"]}`: false,
		`{"MaxAge":-1}`:            false,
		`{"AllowOrigin":["*"]}`:    false,
		`{"ExposeHeaders":[""]}`:   false,
		`[1]`:                      false,
	} {
		if _, err := parseCORS(json.RawMessage(raw)); (err == nil) != ok {
			t.Errorf("parseCORS(%s): %v", raw, err)
		}
	}
}
