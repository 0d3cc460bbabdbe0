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
