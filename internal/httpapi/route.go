package httpapi

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
)

// DefaultKey is the catch-all route's key.
const DefaultKey = "$default"

// Route sends the requests its Key matches to a function.
type Route struct {
	Tenant string `json:"tenant"`
	// Key is "METHOD /path" (METHOD one of GET, POST, PUT, PATCH, DELETE,
	// HEAD, OPTIONS or ANY; path segments literal, {name}, or a last
	// {name+}), or "$default".
	Key       string `json:"routeKey"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
	Auth      Auth   `json:"auth"`
	// Schema is a JSON Schema the request body must satisfy (a JSON body
	// is required when set).
	Schema json.RawMessage `json:"schema,omitempty"`
	// RequiredQuery and RequiredHeaders name parameters a request must
	// carry (headers in any case).
	RequiredQuery   []string `json:"requiredQuery,omitempty"`
	RequiredHeaders []string `json:"requiredHeaders,omitempty"`
	CORS            *CORS    `json:"cors,omitempty"`
	// PayloadFormatVersion is the event the function gets: "2.0" (HTTP
	// APIs', the default) or "1.0" (REST APIs' proxy event).
	PayloadFormatVersion string `json:"payloadFormatVersion,omitempty"`
	// Stage is the event's requestContext.stage: "$default" (HTTP APIs',
	// the default) or a REST API's stage name such as "Prod".
	Stage string `json:"stage,omitempty"`
	// Owner is "" for a route made by the CLI or API, "yaml:FUNCTION" for
	// one declared in that function's updraft.yaml.
	Owner   string    `json:"owner,omitempty"`
	Created time.Time `json:"created"`
}

// Auth is a route's authorizer.
type Auth struct {
	// Type is "none" (or ""), "apikey", "jwt" or "function".
	Type string     `json:"type,omitempty"`
	JWT  *JWTConfig `json:"jwt,omitempty"`
	// Function names the Lambda authorizer (Type "function"), in the
	// route's tenant, optionally NAME:QUALIFIER.
	Function string `json:"function,omitempty"`
	// IdentitySource lists the request values the Lambda authorizer
	// needs and its cache is keyed by ($request.header.NAME,
	// $request.querystring.NAME); default $request.header.Authorization.
	IdentitySource []string `json:"identitySource,omitempty"`
	// TTLSeconds caches the Lambda authorizer's answer per identity;
	// nil: 300, 0: no cache.
	TTLSeconds *int `json:"ttlSeconds,omitempty"`
}

// Auth types.
const (
	AuthNone     = "none"
	AuthAPIKey   = "apikey"
	AuthJWT      = "jwt"
	AuthFunction = "function"
)

// JWTConfig configures a JWT authorizer: tokens come in the Authorization
// header ("Bearer " optional), signed with Secret (HS256) or a key of the
// JWKS (RS256, ES256 and HS256 keys of a file or an http(s) URL). With
// neither, Issuer is an http(s) URL and the keys are those its OpenID
// configuration (ISSUER/.well-known/openid-configuration) names in
// jwks_uri, as API Gateway's JWT authorizers find them.
type JWTConfig struct {
	Secret   string   `json:"secret,omitempty"`
	JWKS     string   `json:"jwks,omitempty"`
	Issuer   string   `json:"issuer,omitempty"`
	Audience []string `json:"audience,omitempty"`
}

// CORS is a route's cross-origin configuration, as API Gateway's.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           int      `json:"maxAge,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

// segment is one parsed path segment.
type segment struct {
	lit    string // a literal segment, when param is ""
	param  string
	greedy bool
}

// parsedKey is a route key taken apart.
type parsedKey struct {
	method string // "" for $default
	segs   []segment
}

// ParseKey checks a route key and returns it normalized (method upper
// case, one space).
func ParseKey(key string) (string, error) {
	p, err := parseKey(key)
	if err != nil {
		return "", err
	}
	if p.method == "" {
		return DefaultKey, nil
	}
	_, path, _ := strings.Cut(strings.TrimSpace(key), " ")
	return p.method + " " + strings.TrimSpace(path), nil
}

func parseKey(key string) (parsedKey, error) {
	key = strings.TrimSpace(key)
	if key == DefaultKey {
		return parsedKey{}, nil
	}
	method, path, ok := strings.Cut(key, " ")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return parsedKey{}, fn.InvalidParameter("route key %q is not \"METHOD /path\" or \"$default\" (e.g. \"GET /items/{id}\")", key)
	}
	method = strings.ToUpper(method)
	if !slices.Contains(methods, method) {
		return parsedKey{}, fn.InvalidParameter("route key %q: method %s is not one of %s", key, method, strings.Join(methods, ", "))
	}
	if !strings.HasPrefix(path, "/") {
		return parsedKey{}, fn.InvalidParameter("route key %q: the path must start with /", key)
	}
	p := parsedKey{method: method}
	if path == "/" {
		return p, nil
	}
	parts := strings.Split(path[1:], "/")
	seen := map[string]bool{}
	for i, s := range parts {
		switch {
		case s == "":
			return parsedKey{}, fn.InvalidParameter("route key %q: empty path segment", key)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name := s[1 : len(s)-1]
			greedy := strings.HasSuffix(name, "+")
			name = strings.TrimSuffix(name, "+")
			if name == "" || strings.ContainsAny(name, "{}/+") {
				return parsedKey{}, fn.InvalidParameter("route key %q: %s is not a path variable like {id} or {proxy+}", key, s)
			}
			if greedy && i != len(parts)-1 {
				return parsedKey{}, fn.InvalidParameter("route key %q: the greedy path variable %s must be the last segment", key, s)
			}
			if seen[name] {
				return parsedKey{}, fn.InvalidParameter("route key %q: path variable {%s} appears twice", key, name)
			}
			seen[name] = true
			p.segs = append(p.segs, segment{param: name, greedy: greedy})
		case strings.ContainsAny(s, "{}"):
			return parsedKey{}, fn.InvalidParameter("route key %q: segment %q mixes text and a variable; a variable is a whole segment", key, s)
		default:
			if _, err := url.PathUnescape(s); err != nil {
				return parsedKey{}, fn.InvalidParameter("route key %q: segment %q is not a valid path segment", key, s)
			}
			lit, _ := url.PathUnescape(s)
			p.segs = append(p.segs, segment{lit: lit})
		}
	}
	return p, nil
}

// Validate checks r and normalizes its key and auth type.
func (r *Route) Validate() error {
	key, err := ParseKey(r.Key)
	if err != nil {
		return err
	}
	r.Key = key
	if r.Function == "" {
		return fn.InvalidParameter("route %s: name the function it invokes", r.Key)
	}
	if r.Auth.Type == "" {
		r.Auth.Type = AuthNone
	}
	switch r.Auth.Type {
	case AuthNone, AuthAPIKey:
	case AuthJWT:
		j := r.Auth.JWT
		if j == nil || j.Secret != "" && j.JWKS != "" {
			return fn.InvalidParameter("route %s: a jwt authorizer needs exactly one of --jwt-secret or --jwt-jwks", r.Key)
		}
		if j.Secret == "" && j.JWKS == "" && !isHTTPURL(j.Issuer) {
			return fn.InvalidParameter("route %s: a jwt authorizer needs exactly one of --jwt-secret or --jwt-jwks (or, with neither, an --jwt-issuer URL whose OpenID configuration names its keys)", r.Key)
		}
	case AuthFunction:
		if r.Auth.Function == "" {
			return fn.InvalidParameter("route %s: a function authorizer needs its function name (--auth function:NAME)", r.Key)
		}
		if r.Auth.TTLSeconds != nil && (*r.Auth.TTLSeconds < 0 || *r.Auth.TTLSeconds > 3600) {
			return fn.InvalidParameter("route %s: the authorizer cache TTL must be 0 to 3600 seconds", r.Key)
		}
		for _, s := range r.Auth.IdentitySource {
			if _, _, err := identityPart(s); err != nil {
				return fn.InvalidParameter("route %s: %v", r.Key, err)
			}
		}
	default:
		return fn.InvalidParameter("route %s: auth %q is not one of none, apikey, jwt, function:NAME", r.Key, r.Auth.Type)
	}
	switch r.PayloadFormatVersion {
	case "":
		r.PayloadFormatVersion = event.PayloadV2
	case event.PayloadV1, event.PayloadV2:
	default:
		return fn.InvalidParameter("route %s: payloadFormatVersion %q is not 1.0 or 2.0", r.Key, r.PayloadFormatVersion)
	}
	if r.Stage == "" {
		r.Stage = DefaultStage
	}
	if !validStage(r.Stage) {
		return fn.InvalidParameter("route %s: stage %q is not $default or a stage name of 1 to 128 letters, digits, - and _", r.Key, r.Stage)
	}
	if r.CORS != nil && len(r.CORS.AllowOrigins) == 0 {
		return fn.InvalidParameter("route %s: a CORS configuration needs at least one allowed origin", r.Key)
	}
	if r.CORS != nil && r.CORS.MaxAge < 0 {
		return fn.InvalidParameter("route %s: CORS maxAge must not be negative", r.Key)
	}
	return nil
}

// DefaultStage is an HTTP API's default stage, a route's when it names
// none.
const DefaultStage = "$default"

// validStage reports whether s is $default or a stage name as API Gateway
// takes them: 1 to 128 letters, digits, hyphens and underscores.
func validStage(s string) bool {
	if s == DefaultStage {
		return true
	}
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// identityPart splits an identity source: "$request.header.NAME" or
// "$request.querystring.NAME".
func identityPart(s string) (kind, name string, err error) {
	for _, k := range []string{"header", "querystring"} {
		if n, ok := strings.CutPrefix(s, "$request."+k+"."); ok && n != "" {
			return k, n, nil
		}
	}
	return "", "", fn.InvalidParameter("identity source %q is not $request.header.NAME or $request.querystring.NAME", s)
}
