package mgmt

import (
	"net/http"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// sessionLifetime is how long the credentials of POST /v1/session last.
const sessionLifetime = time.Hour

// createSession is POST /v1/session: short-lived AWS credentials (access
// key id, secret, session token) of the caller's tenant, as STS's
// GetSessionToken gives. The CLI exchanges its API key for them to speak
// the AWS protocols (S3, DynamoDB, …). Session credentials cannot make
// more: their permissions never grow.
func (g *API) createSession(w http.ResponseWriter, r *http.Request, tenant string) {
	p := wire.PrincipalOf(r.Context())
	if p.Function != "" || p.Permissions != nil || registry.IsSessionKey(p.KeyID) {
		wire.Error(w, g.cfg.Log, fn.AccessDenied("session credentials cannot make new sessions: use an API key"))
		return
	}
	c, err := g.reg.NewSession(registry.Session{Tenant: tenant, Scope: p.Scope, Parent: p.KeyID}, sessionLifetime)
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	wire.JSON(w, http.StatusCreated, c)
}
