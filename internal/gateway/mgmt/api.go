package mgmt

import (
	"log/slog"
	"net/http"

	"github.com/updraft-dev/updraft/internal/billing"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/httpapi"
	"github.com/updraft-dev/updraft/internal/logs"
	"github.com/updraft-dev/updraft/internal/mail"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Config tunes the adapter.
type Config struct {
	Log    *slog.Logger
	Backup BackupFunc // GET /v1/backup; nil answers 503
	// Routes serves /v1/routes and /v1/route-keys (nil: not offered).
	Routes *httpapi.Service
	// DeleteTenant runs DELETE /v1/tenants/{name}; nil answers 503.
	DeleteTenant TenantDeleter
	Mail         *mail.Service // /v1/mail; nil: not offered
	// Schedules serves /v1/schedules (nil: not offered).
	Schedules Schedules
	// Prices price GET /v1/billing; nil: billing.DefaultPrices.
	Prices *billing.Prices
	// Throttles is a tenant's throttled calls since the server started
	// (shown on this month's bill, never billed); nil: none shown.
	Throttles func(tenant string) int64
	// Stacks serves /v1/stacks (nil: not offered).
	Stacks Stacks
}

// API serves /v1/.
type API struct {
	cfg   Config
	reg   *registry.Registry
	ctl   *control.Control
	logs  *logs.Logs
	meter *meter.Meter
}

// New builds the adapter.
func New(cfg Config, reg *registry.Registry, ctl *control.Control, l *logs.Logs, m *meter.Meter) *API {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &API{cfg: cfg, reg: reg, ctl: ctl, logs: l, meter: m}
}

// Register adds the /v1/ routes to mux.
func (g *API) Register(mux wire.Mux, auth wire.Auth) {
	mux.HandleFunc("POST /v1/functions", auth(g.deployFunction))
	mux.HandleFunc("GET /v1/functions", auth(g.listFunctions))
	mux.HandleFunc("GET /v1/functions/{name}", auth(g.getFunction))
	mux.HandleFunc("DELETE /v1/functions/{name}", auth(g.deleteFunction))
	mux.HandleFunc("GET /v1/functions/{name}/logs", auth(g.functionLogs))
	mux.HandleFunc("GET /v1/usage", auth(g.usage))
	mux.HandleFunc("GET /v1/usage/records", auth(g.usageRecords)) // dashboard.go
	mux.HandleFunc("GET /v1/billing", auth(g.billing))            // billing.go
	mux.HandleFunc("GET /v1/storage", auth(g.storage))
	mux.HandleFunc("GET /v1/backup", auth(g.backup))
	mux.HandleFunc("POST /v1/keys", auth(g.createKey))
	mux.HandleFunc("GET /v1/keys", auth(g.listKeys))
	mux.HandleFunc("DELETE /v1/keys/{id}", auth(g.revokeKey))
	mux.HandleFunc("POST /v1/tenants", auth(g.createTenant))
	mux.HandleFunc("GET /v1/tenants", auth(g.listTenants))
	mux.HandleFunc("GET /v1/tenants/{name}", auth(g.getTenant))
	mux.HandleFunc("PUT /v1/tenants/{name}/quotas", auth(g.putTenantQuotas))
	mux.HandleFunc("DELETE /v1/tenants/{name}", auth(g.deleteTenant))
	mux.HandleFunc("POST /v1/session", auth(g.createSession))
	mux.HandleFunc("PUT /v1/secrets/{name}", auth(g.putSecret))
	mux.HandleFunc("GET /v1/secrets", auth(g.listSecrets))
	mux.HandleFunc("DELETE /v1/secrets/{name}", auth(g.deleteSecret))
	mux.HandleFunc("GET /v1/functions/{name}/concurrency", auth(g.getConcurrency))
	mux.HandleFunc("PUT /v1/functions/{name}/concurrency", auth(g.putConcurrency))
	mux.HandleFunc("DELETE /v1/functions/{name}/concurrency", auth(g.deleteConcurrency))
	mux.HandleFunc("GET /v1/functions/{name}/instances", auth(g.instances))
	g.routeRoutes(mux, auth)
	g.registerMail(mux, auth)
	g.registerSchedules(mux, auth)
	g.registerStacks(mux, auth)
}

func (g *API) deleteFunction(w http.ResponseWriter, r *http.Request, tenant string) {
	name, _ := wire.FunctionName(r.PathValue("name"))
	err := wire.CheckName(r.PathValue("name"), name, tenant)
	if err == nil {
		err = g.ctl.Delete(r.Context(), tenant, name)
	}
	if err != nil {
		wire.Error(w, g.cfg.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
