package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Triggers is updraft.yaml's `type: http` trigger kind (control.TriggerKind):
//
//	triggers:
//	  - type: http
//	    route: GET /items/{id}
//	    qualifier: live              # the alias or version invoked
//	    auth: jwt                    # none | apikey | jwt | function:NAME
//	    jwt: {jwks: https://127.0.0.1:9000/jwks.json, issuer: me, audience: [api]}
//	    schema: schemas/item.json    # or an inline JSON Schema mapping
//	    cors: {origins: ["https://app.example"], methods: [GET], maxAge: 600}
//	    payloadFormatVersion: "1.0"  # the event: "2.0" (default) or REST's "1.0"
//	    stage: Prod                  # requestContext.stage (default $default)
//
// Routes declared so are owned by the function ("yaml:NAME"): a redeploy
// makes them exactly the listed ones; routes made with the CLI or API are
// left alone unless a declaration takes over the same route key.
type Triggers struct {
	s *Service
	// codeDir is the unpacked code of a deployed function (schema files).
	codeDir func(ctx context.Context, f *fn.Function) (string, error)
}

// NewTriggers builds the trigger kind; codeDir resolves schema file paths.
func NewTriggers(s *Service, codeDir func(ctx context.Context, f *fn.Function) (string, error)) *Triggers {
	return &Triggers{s: s, codeDir: codeDir}
}

// triggerSpec is one `type: http` entry.
type triggerSpec struct {
	Type            string          `json:"type"`
	Route           string          `json:"route"`
	Qualifier       string          `json:"qualifier"`
	Auth            string          `json:"auth"`
	JWT             *yamlJWT        `json:"jwt"`
	IdentitySource  []string        `json:"identitySource"`
	TTL             *int            `json:"ttl"`
	Schema          json.RawMessage `json:"schema"`
	RequiredQuery   []string        `json:"requiredQuery"`
	RequiredHeaders []string        `json:"requiredHeaders"`
	CORS            *yamlCORS       `json:"cors"`
	// PayloadFormatVersion is "1.0" or "2.0" (a YAML number 1.0 or 2 too).
	PayloadFormatVersion json.RawMessage `json:"payloadFormatVersion"`
	Stage                string          `json:"stage"`
}

type yamlJWT struct {
	Secret   string          `json:"secret"`
	JWKS     string          `json:"jwks"`
	Issuer   string          `json:"issuer"`
	Audience json.RawMessage `json:"audience"`
}

type yamlCORS struct {
	Origins       []string `json:"origins"`
	Methods       []string `json:"methods"`
	Headers       []string `json:"headers"`
	ExposeHeaders []string `json:"exposeHeaders"`
	MaxAge        int      `json:"maxAge"`
	Credentials   bool     `json:"credentials"`
}

// ParseAuth turns the CLI's and yaml's auth word (none, apikey, jwt,
// function:NAME[:QUALIFIER]) into an Auth.
func ParseAuth(s string) Auth {
	if name, ok := strings.CutPrefix(s, AuthFunction+":"); ok {
		return Auth{Type: AuthFunction, Function: name}
	}
	return Auth{Type: s}
}

// route builds the Route one entry declares; schemaFile is the entry's
// schema path when it names a file ("" for an inline schema).
func (spec *triggerSpec) route(f *fn.Function) (r Route, schemaFile string, err error) {
	r = Route{Tenant: f.Tenant, Key: spec.Route, Function: f.Name, Qualifier: spec.Qualifier,
		Auth: ParseAuth(spec.Auth), RequiredQuery: spec.RequiredQuery, RequiredHeaders: spec.RequiredHeaders,
		Stage: spec.Stage, Owner: "yaml:" + f.Name}
	if spec.Route == "" {
		return r, "", fn.InvalidParameter("an http trigger needs route: (e.g. route: GET /items/{id})")
	}
	if r.PayloadFormatVersion, err = formatVersion(spec.PayloadFormatVersion); err != nil {
		return r, "", fn.InvalidParameter("http trigger %s: %v", spec.Route, err)
	}
	if j := spec.JWT; j != nil {
		r.Auth.JWT = &JWTConfig{Secret: j.Secret, JWKS: j.JWKS, Issuer: j.Issuer}
		if len(j.Audience) > 0 {
			var one string
			if json.Unmarshal(j.Audience, &one) == nil {
				r.Auth.JWT.Audience = []string{one}
			} else if err := json.Unmarshal(j.Audience, &r.Auth.JWT.Audience); err != nil {
				return r, "", fn.InvalidParameter("http trigger %s: jwt.audience must be a string or a list of strings", spec.Route)
			}
		}
	}
	r.Auth.IdentitySource, r.Auth.TTLSeconds = spec.IdentitySource, spec.TTL
	if c := spec.CORS; c != nil {
		r.CORS = &CORS{AllowOrigins: c.Origins, AllowMethods: c.Methods, AllowHeaders: c.Headers,
			ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge, AllowCredentials: c.Credentials}
	}
	if len(spec.Schema) > 0 && !bytes.Equal(spec.Schema, []byte("null")) {
		var path string
		if json.Unmarshal(spec.Schema, &path) == nil {
			if path == "" || filepath.IsAbs(path) || !filepath.IsLocal(path) {
				return r, "", fn.InvalidParameter("http trigger %s: schema %q must be a path inside the function's code", spec.Route, path)
			}
			return r, path, nil
		}
		r.Schema = spec.Schema
	}
	return r, "", nil
}

// formatVersion reads payloadFormatVersion: "1.0" or "2.0", also as the
// number YAML makes of an unquoted 1.0 or 2.0.
func formatVersion(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n float64
		if json.Unmarshal(raw, &n) != nil {
			return "", fmt.Errorf("payloadFormatVersion must be \"1.0\" or \"2.0\", not %s", raw)
		}
		s = strconv.FormatFloat(n, 'f', 1, 64)
	}
	if s != "1.0" && s != "2.0" {
		return "", fmt.Errorf("payloadFormatVersion must be \"1.0\" or \"2.0\", not %q", s)
	}
	return s, nil
}

func decodeSpecs(f *fn.Function, specs []json.RawMessage) ([]triggerSpec, error) {
	out := make([]triggerSpec, 0, len(specs))
	seen := map[string]bool{}
	for _, raw := range specs {
		var spec triggerSpec
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return nil, fn.InvalidParameter("function %s: an http trigger is not valid: %v (fields: route, qualifier, auth, jwt, identitySource, ttl, schema, requiredQuery, requiredHeaders, cors, payloadFormatVersion, stage)", f.Name, err)
		}
		key, err := ParseKey(spec.Route)
		if err == nil && seen[key] {
			err = fn.InvalidParameter("function %s declares the http route %s twice", f.Name, key)
		}
		if err != nil {
			return nil, err
		}
		seen[key] = true
		out = append(out, spec)
	}
	return out, nil
}

// Check validates f's http triggers (schema files are read at Apply, once
// the code is stored).
func (t *Triggers) Check(_ context.Context, f *fn.Function, specs []json.RawMessage) error {
	decoded, err := decodeSpecs(f, specs)
	if err != nil {
		return err
	}
	for i := range decoded {
		r, _, err := decoded[i].route(f)
		if err != nil {
			return err
		}
		if _, err := compile(r); err != nil {
			return err
		}
	}
	return nil
}

// Apply makes f's declared routes exactly specs.
func (t *Triggers) Apply(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	decoded, err := decodeSpecs(f, specs)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for i := range decoded {
		r, file, err := decoded[i].route(f)
		if err != nil {
			return err
		}
		if file != "" {
			if r.Schema, err = t.readSchema(ctx, f, file); err != nil {
				return err
			}
		}
		if old, err := t.s.Get(ctx, f.Tenant, r.Key); err == nil {
			r.Created = old.Created
		}
		put, err := t.s.Put(ctx, r)
		if err != nil {
			return err
		}
		want[put.Key] = true
	}
	return t.removeOwned(ctx, f.Tenant, f.Name, want)
}

// Remove drops the routes a deleted function declared.
func (t *Triggers) Remove(ctx context.Context, tenant, function string) error {
	return t.removeOwned(ctx, tenant, function, nil)
}

func (t *Triggers) removeOwned(ctx context.Context, tenant, function string, keep map[string]bool) error {
	routes, err := t.s.List(ctx, tenant)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if r.Owner == "yaml:"+function && !keep[r.Key] {
			if err := t.s.Delete(ctx, tenant, r.Key); err != nil && !fn.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func (t *Triggers) readSchema(ctx context.Context, f *fn.Function, file string) (json.RawMessage, error) {
	if t.codeDir == nil {
		return nil, fn.InvalidParameter("http trigger: schema files are not available here: give the schema inline")
	}
	dir, err := t.codeDir(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("httpapi: code of %s: %w", f.Name, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, fn.InvalidParameter("http trigger: schema file %s is not in the function's code: %v", file, err)
	}
	return b, nil
}
