package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestJWKSDiscoveredFromIssuer: a JWT authorizer given only an issuer URL
// (as AWS's JwtConfiguration is) finds its keys through the issuer's
// OpenID configuration, and a route so configured passes validation
// while one whose issuer is not a URL is refused.
func TestJWKSDiscoveredFromIssuer(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k", Algorithm: "RS256"}}})
	})
	token := func(k *rsa.PrivateKey, iss string) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jwt.Signed(s).Claims(map[string]any{"sub": "u", "iss": iss, "aud": "api", "exp": time.Now().Add(time.Hour).Unix()}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	cfg := &JWTConfig{Issuer: srv.URL, Audience: []string{"api"}}
	if err := (&Route{Key: "GET /x", Function: "f", Auth: Auth{Type: AuthJWT, JWT: cfg}}).Validate(); err != nil {
		t.Fatalf("issuer-only JWT route refused: %v", err)
	}
	if err := (&Route{Key: "GET /x", Function: "f", Auth: Auth{Type: AuthJWT, JWT: &JWTConfig{Issuer: "me"}}}).Validate(); err == nil {
		t.Fatal("a JWT route with neither keys nor an issuer URL was accepted")
	}
	cache := newJWKSCache()
	check := func(tok string) error {
		_, err := verifyJWT(context.Background(), cfg, cache, http.Header{"Authorization": {"Bearer " + tok}}, time.Now())
		return err
	}
	if err := check(token(key, srv.URL)); err != nil {
		t.Fatalf("token of the issuer's key: %v", err)
	}
	var inv *Invalid
	if err := check(token(other, srv.URL)); !errors.As(err, &inv) || inv.Status != http.StatusUnauthorized {
		t.Fatalf("token of another key: %v, want 401", err)
	}
	if err := check(token(key, "https://elsewhere.example")); !errors.As(err, &inv) || inv.Status != http.StatusUnauthorized {
		t.Fatalf("token of another issuer: %v, want 401", err)
	}
	// An issuer without an OpenID configuration is a server-side failure.
	bad := &JWTConfig{Issuer: srv.URL + "/none"}
	if _, err := verifyJWT(context.Background(), bad, cache, http.Header{"Authorization": {token(key, bad.Issuer)}}, time.Now()); err == nil || errors.As(err, &inv) {
		t.Fatalf("issuer without configuration: %v", err)
	}
}
