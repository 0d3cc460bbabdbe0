package furl

import (
	"log/slog"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Config tunes the server.
type Config struct {
	Log *slog.Logger
}

// Server serves function URLs.
type Server struct {
	cfg    Config
	reg    *registry.Registry
	router fn.Invoker
	// authenticate resolves a signed request to its tenant (AWS_IAM URLs).
	authenticate func(w http.ResponseWriter, r *http.Request) (string, error)
}

// New builds the server.
func New(cfg Config, reg *registry.Registry, inv fn.Invoker, authenticate func(http.ResponseWriter, *http.Request) (string, error)) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Server{cfg: cfg, reg: reg, router: inv, authenticate: authenticate}
}

// Register adds the function URL routes to mux. They need no key: a URL
// with AuthType AWS_IAM is checked by the server itself.
func (g *Server) Register(mux wire.Mux) {
	mux.HandleFunc("/url/{id}/{rest...}", g.serveFunctionURL)
	mux.HandleFunc("/url/{id}", g.serveFunctionURL)
}
