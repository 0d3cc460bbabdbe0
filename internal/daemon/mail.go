package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/mail"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/store"
)

// openMail opens the mail routes and message store and registers the
// updraft.yaml trigger kind "mail" (before control starts). Routes are
// managed whether or not SMTP is served.
func (d *Daemon) openMail(ctx context.Context, st *store.Store, reg *registry.Registry, ctl *control.Control, q *async.Queue) (*mail.Service, error) {
	svc, err := mail.Open(ctx, mail.Config{Store: st, Invoker: asyncInvoker{q}, Function: reg.GetFunction, Log: d.log})
	if err != nil {
		return nil, err
	}
	ctl.RegisterTrigger("mail", svc.Trigger())
	ctl.RegisterTenantResources(mailResources{svc})
	return svc, nil
}

// startSMTP serves inbound mail when --smtp-listen is set; it starts last
// so that it stops first, before the queue it delivers to.
func (d *Daemon) startSMTP(ctx context.Context, svc *mail.Service) error {
	if d.cfg.SMTPListen == "" {
		return nil
	}
	srv, err := mail.NewServer(svc, mail.ServerConfig{
		Listen: d.cfg.SMTPListen, TLSCert: d.cfg.SMTPTLSCert, TLSKey: d.cfg.SMTPTLSKey,
		MaxBytes: d.cfg.SMTPMaxBytes, Log: d.log,
	})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	d.smtp = srv
	d.onClose(srv.Close)
	return nil
}

// SMTPAddr is the SMTP server's listen address ("" when not serving mail).
func (d *Daemon) SMTPAddr() string {
	if d.smtp == nil {
		return ""
	}
	return d.smtp.Addr()
}
