package wire

import (
	"context"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Principal is who made an authenticated request: a tenant's key, or a
// function's own session credentials, which carry the function's name and
// its Permissions (nil: everything of the tenant).
type Principal struct {
	Tenant      string
	Function    string // set for a function's session credentials
	Permissions fn.Permissions
	// Scope is the key's (fn.Scope*): what it may do in its tenant.
	Scope string
	KeyID string // the key's id, for logs; "" for a function's session
}

// Unrestricted reports whether p may do anything in its tenant but manage
// keys, so an adapter can skip working out the resource of an operation.
func (p Principal) Unrestricted() bool {
	return p.Permissions == nil && (p.Scope == fn.ScopeAdmin || p.Scope == fn.ScopeDeploy)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p; the gateway sets it on every
// authenticated request.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalOf returns the request's principal (zero when unauthenticated).
func PrincipalOf(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// Authorize checks that r's principal may do action ("s3:GetObject") on
// resource (its ARN). Every AWS-compatible adapter calls it once per
// operation (per resource for batch operations) before doing anything. A
// refusal is 403 AccessDeniedException naming the action and resource;
// adapters with their own error code (S3's AccessDenied) map it.
func Authorize(r *http.Request, action, resource string) error {
	p := PrincipalOf(r.Context())
	if !fn.ScopeAllows(p.Scope, action) {
		return fn.AccessDenied("key %s has scope %q, which does not allow %s: use a key with a wider scope (`updraft keys create --scope ...`)",
			p.KeyID, p.Scope, action)
	}
	if p.Permissions.Allows(action, resource) {
		return nil
	}
	return fn.AccessDenied("%s is not authorized to perform %s on %s: add it to the function's permissions in updraft.yaml",
		who(p), action, resource)
}

func who(p Principal) string {
	if p.Function != "" {
		return "function " + p.Function
	}
	return "tenant " + p.Tenant
}

// RedactEnv hides f's environment values from a principal whose scope may
// not change the function (read, invoke): names stay, values become
// "(hidden)". A reference to a secret is shown as it is: it holds no value.
func RedactEnv(r *http.Request, f *fn.Function) *fn.Function {
	p := PrincipalOf(r.Context())
	if len(f.Env) == 0 || p.Scope == fn.ScopeAdmin || p.Scope == fn.ScopeDeploy {
		return f
	}
	c := *f
	c.Env = make(map[string]string, len(f.Env))
	for k, v := range f.Env {
		if len(v) > len("secret:") && v[:len("secret:")] == "secret:" {
			c.Env[k] = v
			continue
		}
		c.Env[k] = "(hidden)"
	}
	return &c
}
