package lambda

import (
	"log/slog"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/router"
	"github.com/updraft-dev/updraft/internal/trace"
)

// Config tunes the adapter.
type Config struct {
	Log *slog.Logger
	// Mappings serves the event source mapping operations; nil: they are
	// not offered.
	Mappings *control.Mappings
	// Tracer makes each synchronous call's server span (nil: none).
	Tracer *trace.Tracer
}

// API serves Lambda's REST API.
type API struct {
	cfg    Config
	reg    *registry.Registry
	dep    *deploy.Deployer
	ctl    *control.Control
	router *router.Router
	async  *async.Queue // nil: InvocationType Event is refused
}

// New builds the adapter.
func New(cfg Config, reg *registry.Registry, dep *deploy.Deployer, ctl *control.Control, rt *router.Router, q *async.Queue) *API {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &API{cfg: cfg, reg: reg, dep: dep, ctl: ctl, router: rt, async: q}
}
