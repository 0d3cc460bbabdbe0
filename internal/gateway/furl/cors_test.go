package furl

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// TestCORSWildcardWithCredentials: browsers refuse "*" on credentialed
// requests, so a wildcard then answers with what was asked.
func TestCORSWildcardWithCredentials(t *testing.T) {
	c, err := wire.ParseCORS(json.RawMessage(`{"AllowOrigins":["*"],"AllowMethods":["*"],"AllowHeaders":["*"],"AllowCredentials":true}`))
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
