package daemon

import (
	"context"
	"errors"
	"syscall"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	gwhttpapi "github.com/updraft-dev/updraft/internal/gateway/httpapi"
	"github.com/updraft-dev/updraft/internal/httpapi"
	"github.com/updraft-dev/updraft/internal/store"
)

// startRoutes opens the HTTP API routes, registers updraft.yaml's
// `type: http` triggers with ctl and starts the routes listener (unless
// it is off). The default address being taken is not fatal: the server
// starts without routes and says so.
func (d *Daemon) startRoutes(ctx context.Context, st *store.Store, ctl *control.Control, dep *deploy.Deployer, inv fn.Invoker) (*httpapi.Service, error) {
	svc, err := httpapi.Open(ctx, st, httpapi.Config{Log: d.log, Invoker: inv})
	if err != nil {
		return nil, err
	}
	d.onClose(svc.Close)
	if err := svc.Start(ctx); err != nil {
		return nil, err
	}
	ctl.RegisterTrigger("http", httpapi.NewTriggers(svc, dep.CodeDir))
	ctl.RegisterTenantResources(svc.Tenants())
	addr := d.cfg.RoutesListen
	if addr == "" || addr == "off" {
		return svc, nil
	}
	h := gwhttpapi.New(gwhttpapi.Config{Log: d.log, BaseDomain: d.cfg.RoutesDomain}, svc, inv)
	srv := gwhttpapi.NewServer(h, d.cfg.HeaderTimeout, d.log)
	if err := srv.Start(addr); err != nil {
		if addr == config.DefaultRoutesListen && errors.Is(err, syscall.EADDRINUSE) {
			d.log.Warn("the routes listener's default address is taken: serving no HTTP API routes (set --routes-listen)", "addr", addr)
			return svc, nil
		}
		return nil, err
	}
	d.routesSrv = srv
	d.onClose(srv.Close)
	d.log.Info("serving HTTP API routes", "listen", srv.Addr(), "domain", d.cfg.RoutesDomain)
	return svc, nil
}

// RoutesAddr is the routes listener's address ("" when it is off).
func (d *Daemon) RoutesAddr() string {
	if d.routesSrv == nil {
		return ""
	}
	return d.routesSrv.Addr()
}

// Routes exposes the routes service (tests and benches).
func (d *Daemon) Routes() *httpapi.Service { return d.routes }
