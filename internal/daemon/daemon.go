package daemon

import (
	"context"
	"errors"
	"log/slog"

	"github.com/updraft-dev/updraft/internal/config"
)

// Daemon is a running Updraft platform on one machine.
type Daemon struct {
	cfg    config.Config
	log    *slog.Logger
	addr   string
	keyNew bool
}

// New validates cfg and builds the daemon; nothing runs until Start.
func New(cfg config.Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Daemon{cfg: cfg, log: log}, nil
}

// Start opens the store and starts serving; it returns once the HTTP API
// accepts connections.
func (d *Daemon) Start(ctx context.Context) error { return errors.New("daemon: not implemented yet") }

// Addr is the HTTP API's actual listen address (host:port).
func (d *Daemon) Addr() string { return d.addr }

// AdminKeyPath is where the admin API key is stored.
func (d *Daemon) AdminKeyPath() string { return d.cfg.AdminKeyPath() }

// AdminKeyCreated reports whether this start created the admin key.
func (d *Daemon) AdminKeyCreated() bool { return d.keyNew }

// Close shuts down gracefully: in-flight calls finish (bounded by the
// configured shutdown timeout), then everything stops in reverse order.
func (d *Daemon) Close(ctx context.Context) error { return nil }
