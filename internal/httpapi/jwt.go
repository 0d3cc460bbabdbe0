package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/updraft-dev/updraft/internal/event"
)

// JWKS caching: keys are read again after jwksTTL, or sooner (at most
// every jwksRetry) when a token names a key id the set lacks (the issuer
// rotated its keys).
const (
	jwksTTL   = 5 * time.Minute
	jwksRetry = 10 * time.Second
	jwksLimit = 1 << 20
)

var jwtAlgorithms = []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.ES256}

// unauthorized is API Gateway's reply to a missing or invalid token.
func unauthorized() *Invalid { return invalid(http.StatusUnauthorized, "Unauthorized") }

// jwksSet is one JWKS source's keys, cached.
type jwksSet struct {
	source string
	client *http.Client
	retry  time.Duration // jwksRetry; tests shorten it

	mu      sync.Mutex
	keys    *jose.JSONWebKeySet
	fetched time.Time
}

// jwksCache holds every JWKS source in use, shared by the routes naming it.
type jwksCache struct {
	client *http.Client
	retry  time.Duration
	mu     sync.Mutex
	sets   map[string]*jwksSet
}

func newJWKSCache() *jwksCache {
	return &jwksCache{client: &http.Client{Timeout: 5 * time.Second}, retry: jwksRetry, sets: map[string]*jwksSet{}}
}

func (c *jwksCache) get(source string) *jwksSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sets[source]
	if !ok {
		s = &jwksSet{source: source, client: c.client, retry: c.retry}
		c.sets[source] = s
	}
	return s
}

// key returns the keys for kid ("" when the token names none: all keys).
func (s *jwksSet) key(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stale := s.keys == nil || time.Since(s.fetched) > jwksTTL
	if !stale && kid != "" && len(s.keys.Key(kid)) == 0 && time.Since(s.fetched) >= s.retry {
		stale = true
	}
	if stale {
		keys, err := loadJWKS(ctx, s.client, s.source)
		if err != nil && s.keys == nil {
			return nil, err
		}
		if err == nil {
			s.keys, s.fetched = keys, time.Now()
		}
	}
	if kid == "" {
		return s.keys.Keys, nil
	}
	return s.keys.Key(kid), nil
}

// discoverPrefix marks a JWKS source that is an issuer whose OpenID
// configuration names the key set.
const discoverPrefix = "oidc:"

// jwksSource is where cfg's keys come from: its JWKS, else its issuer's
// OpenID configuration.
func jwksSource(cfg *JWTConfig) string {
	if cfg.JWKS != "" {
		return cfg.JWKS
	}
	return discoverPrefix + cfg.Issuer
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// fetch GETs url's body (at most jwksLimit bytes).
func fetch(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, jwksLimit))
}

// discoverJWKS reads the jwks_uri of issuer's OpenID configuration.
func discoverJWKS(ctx context.Context, client *http.Client, issuer string) (string, error) {
	url := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	data, err := fetch(ctx, client, url)
	if err != nil {
		return "", fmt.Errorf("openid configuration %s: %w", url, err)
	}
	var conf struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(data, &conf); err != nil || !isHTTPURL(conf.JWKSURI) {
		return "", fmt.Errorf("openid configuration %s names no http(s) jwks_uri", url)
	}
	return conf.JWKSURI, nil
}

// loadJWKS reads a JSON Web Key Set from a file, an http(s) URL, or (a
// source of discoverPrefix) the jwks_uri of an issuer's OpenID
// configuration.
func loadJWKS(ctx context.Context, client *http.Client, source string) (*jose.JSONWebKeySet, error) {
	if issuer, ok := strings.CutPrefix(source, discoverPrefix); ok {
		uri, err := discoverJWKS(ctx, client, issuer)
		if err != nil {
			return nil, fmt.Errorf("jwks of issuer %s: %w", issuer, err)
		}
		source = uri
	}
	var data []byte
	if isHTTPURL(source) {
		var err error
		if data, err = fetch(ctx, client, source); err != nil {
			return nil, fmt.Errorf("jwks %s: %w", source, err)
		}
	} else {
		var err error
		if data, err = os.ReadFile(source); err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("jwks %s is not a JSON Web Key Set: %w", source, err)
	}
	return &set, nil
}

// verifyJWT checks the bearer token of h against cfg as API Gateway's JWT
// authorizer does: a valid signature (HS256, RS256, ES256), exp present
// and not passed, nbf passed, iss equal to the issuer and aud (or
// client_id) among the audiences when configured. The claims go to the
// function as strings, with the scopes of "scope" or "scp".
func verifyJWT(ctx context.Context, cfg *JWTConfig, keys *jwksCache, h http.Header, now time.Time) (*event.HTTPAuthorizer, error) {
	raw := strings.TrimSpace(h.Get("Authorization"))
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return nil, unauthorized()
	}
	tok, err := jwt.ParseSigned(raw, jwtAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, unauthorized()
	}
	hdr := tok.Headers[0]
	var candidates []any
	if cfg.Secret != "" {
		if hdr.Algorithm != string(jose.HS256) {
			return nil, unauthorized()
		}
		candidates = []any{[]byte(cfg.Secret)}
	} else {
		ks, err := keys.get(jwksSource(cfg)).key(ctx, hdr.KeyID)
		if err != nil {
			return nil, fmt.Errorf("the route's JWKS cannot be read: %w", err)
		}
		for _, k := range ks {
			if k.Algorithm == "" || k.Algorithm == hdr.Algorithm {
				candidates = append(candidates, k.Key)
			}
		}
	}
	var std jwt.Claims
	var all map[string]any
	verified := false
	for _, k := range candidates {
		if tok.Claims(k, &std, &all) == nil {
			verified = true
			break
		}
	}
	if !verified || std.Expiry == nil {
		return nil, unauthorized()
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: cfg.Issuer, Time: now}, 0); err != nil {
		return nil, unauthorized()
	}
	if len(cfg.Audience) > 0 && !slices.ContainsFunc(cfg.Audience, std.Audience.Contains) {
		clientID, _ := all["client_id"].(string)
		if clientID == "" || !slices.Contains(cfg.Audience, clientID) {
			return nil, unauthorized()
		}
	}
	claims := make(map[string]string, len(all))
	for k, v := range all {
		if s, ok := v.(string); ok {
			claims[k] = s
			continue
		}
		b, _ := json.Marshal(v)
		claims[k] = string(b)
	}
	var scopes []string
	for _, name := range []string{"scope", "scp"} {
		if s, ok := all[name].(string); ok {
			scopes = append(scopes, strings.Fields(s)...)
		}
	}
	return &event.HTTPAuthorizer{JWT: &event.JWTAuthorizer{Claims: claims, Scopes: scopes}}, nil
}
