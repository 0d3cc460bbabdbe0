package gateway

import (
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// securityToken is the session token of a signed request: the
// X-Amz-Security-Token header, or the query parameter of a presigned URL.
func securityToken(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Security-Token"); t != "" {
		return t
	}
	return r.URL.Query().Get("X-Amz-Security-Token")
}

// keySecret returns the tenant and secret of the access key a request was
// signed with: a stored key pair, or session credentials, whose token
// carries them.
func (g *Gateway) keySecret(r *http.Request, keyID string) (tenant, secret string, err error) {
	if registry.IsSessionKey(keyID) {
		s, secret, err := g.reg.OpenSession(keyID, securityToken(r))
		return s.Tenant, secret, err
	}
	return g.reg.AccessKey(r.Context(), keyID)
}

// principal is who an authenticated request of tenant speaks for: the
// function (and its permissions) behind session credentials, else the
// tenant as a whole.
func (g *Gateway) principal(r *http.Request, tenant string) (wire.Principal, error) {
	id := signingKeyID(r)
	switch {
	case id == "":
		key, _ := bearer(r.Header.Get("Authorization"))
		k, err := g.reg.APIKeyIdentity(r.Context(), key)
		if err != nil {
			return wire.Principal{}, err
		}
		return wire.Principal{Tenant: k.Tenant, Scope: k.Scope, KeyID: k.KeyID}, nil
	case registry.IsSessionKey(id):
		s, _, err := g.reg.OpenSession(id, securityToken(r))
		if err != nil {
			return wire.Principal{}, err
		}
		scope := s.Scope
		if scope == "" {
			scope = fn.ScopeDeploy // a function's own credentials
		}
		return wire.Principal{Tenant: s.Tenant, Function: s.Function, Permissions: s.Permissions, Scope: scope, KeyID: id}, nil
	}
	k, err := g.reg.AccessKeyIdentity(r.Context(), id)
	if err != nil {
		return wire.Principal{}, err
	}
	return wire.Principal{Tenant: k.Tenant, Scope: k.Scope, KeyID: k.KeyID}, nil
}

// signingKeyID is the access key id of a SigV4-signed request (header or
// presigned query), or "".
func signingKeyID(r *http.Request) string {
	cred := ""
	if authz := r.Header.Get("Authorization"); strings.HasPrefix(authz, sigV4Algorithm+" ") {
		_, cred, _ = strings.Cut(authz, "Credential=")
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	id, _, _ := strings.Cut(cred, "/")
	return id
}
