package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/gateway"
	"github.com/updraft-dev/updraft/internal/gateway/dynamodb"
	"github.com/updraft-dev/updraft/internal/tables"
)

// mountTables opens the tables, rebuilds their indexes and mounts the
// DynamoDB API on the one endpoint.
func (d *Daemon) mountTables(ctx context.Context, gw *gateway.Gateway) error {
	ts, err := tables.Open(ctx, d.st, d.log)
	if err != nil {
		return err
	}
	if err := ts.Start(ctx); err != nil {
		return err
	}
	d.onClose(ts.Close)
	d.tables = ts
	gw.Mount(gateway.Service{Name: "dynamodb", TargetPrefixes: []string{dynamodb.TargetPrefix}, Handler: dynamodb.New(ts, d.log).Serve})
	return nil
}

// Tables exposes the table store (tests and the stream mappings use it).
func (d *Daemon) Tables() *tables.Store { return d.tables }
