package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func rsaToken(t *testing.T, key *rsa.PrivateKey, kid string, exp time.Time) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(map[string]any{"sub": "u", "iss": "me", "exp": exp.Unix(), "groups": []string{"a"}}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestJWKSFromURLCachedAndRefreshed: a JWKS served over HTTP on this
// machine is fetched once, reused, and fetched again when a token names a
// key id it lacks (the issuer rotated keys).
func TestJWKSFromURLCachedAndRefreshed(t *testing.T) {
	k1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fetches := 0
	keys := []jose.JSONWebKey{{Key: k1.Public(), KeyID: "k1", Algorithm: "RS256"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
	}))
	defer srv.Close()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return fetches
	}
	cache := newJWKSCache()
	cache.retry = 0
	cfg := &JWTConfig{JWKS: srv.URL + "/jwks.json", Issuer: "me"}
	now := time.Now()
	check := func(tok string) error {
		_, err := verifyJWT(context.Background(), cfg, cache, http.Header{"Authorization": {"Bearer " + tok}}, now)
		return err
	}
	for range 3 {
		if err := check(rsaToken(t, k1, "k1", now.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d fetches for three tokens of one key, want 1", n)
	}
	mu.Lock()
	keys = append(keys, jose.JSONWebKey{Key: k2.Public(), KeyID: "k2", Algorithm: "RS256"})
	mu.Unlock()
	authz, err := verifyJWT(context.Background(), cfg, cache, http.Header{"Authorization": {rsaToken(t, k2, "k2", now.Add(time.Hour))}}, now)
	if err != nil {
		t.Fatalf("token of a rotated-in key: %v", err)
	}
	if n := count(); n != 2 || authz.JWT.Claims["groups"] != `["a"]` || authz.JWT.Claims["sub"] != "u" {
		t.Fatalf("fetches %d, claims %v", n, authz.JWT.Claims)
	}
	var inv *Invalid
	if err := check(rsaToken(t, k1, "k1", now.Add(-time.Second))); !errors.As(err, &inv) || inv.Status != 401 {
		t.Fatalf("expired token: %v", err)
	}
	// An unreachable JWKS is a server-side failure, not a 401.
	bad := &JWTConfig{JWKS: "http://127.0.0.1:1/jwks.json"}
	if _, err := verifyJWT(context.Background(), bad, cache, http.Header{"Authorization": {rsaToken(t, k1, "k1", now.Add(time.Hour))}}, now); err == nil || errors.As(err, &inv) {
		t.Fatalf("unreachable JWKS: %v", err)
	}
}
