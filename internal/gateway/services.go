package gateway

import (
	"net/http"

	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// authError writes a failed authentication's error in the protocol of
// the service the request was for.
func (g *Gateway) authError(w http.ResponseWriter, r *http.Request, err error) {
	name, target := serviceOf(r)
	s, ok := g.targets[target]
	if !ok {
		s, ok = g.services[name]
	}
	if ok && s.Error != nil {
		s.Error(w, r, err)
		return
	}
	wire.Error(w, g.cfg.Log, err)
}

// anonymous finds the service claiming a request without credentials.
func (g *Gateway) anonymous(r *http.Request) (Service, bool) {
	if r.Header.Get("Authorization") != "" {
		return Service{}, false
	}
	for _, s := range g.services {
		if s.Anonymous != nil && s.Anonymous(r) {
			return s, true
		}
	}
	return Service{}, false
}
