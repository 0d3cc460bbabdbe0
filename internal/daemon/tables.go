package daemon

import (
	"context"
	"time"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway"
	"github.com/updraft-dev/updraft/internal/gateway/dynamodb"
	"github.com/updraft-dev/updraft/internal/mapping"
	"github.com/updraft-dev/updraft/internal/tables"
)

// mountTables opens the tables, rebuilds their indexes and mounts the
// DynamoDB API on the one endpoint.
func (d *Daemon) mountTables(ctx context.Context, gw *gateway.Gateway, ctl *control.Control) error {
	ts, err := tables.Open(ctx, d.st, d.log)
	if err != nil {
		return err
	}
	if err := ts.Start(ctx); err != nil {
		return err
	}
	d.onClose(ts.Close)
	d.tables.Store(ts)
	ctl.RegisterTenantResources(tableResources{ts})
	gw.Mount(gateway.Service{Name: "dynamodb", TargetPrefixes: []string{dynamodb.TargetPrefix}, Handler: dynamodb.New(ts, d.log).Serve})
	return nil
}

// Tables exposes the table store (tests use it); nil before Start.
func (d *Daemon) Tables() *tables.Store { return d.tables.Load() }

// tableStreams lets event source mappings read table streams; the
// mappings start before the tables, so until then it is unavailable and
// the mappings retry.
type tableStreams struct{ d *Daemon }

var _ mapping.Streams = tableStreams{}

func (s tableStreams) store() (*tables.Store, error) {
	ts := s.d.tables.Load()
	if ts == nil {
		return nil, fn.Unavailable("tables are not started yet: retry")
	}
	return ts, nil
}

func (s tableStreams) Resolve(ctx context.Context, tenant, arn string) (string, uint64, error) {
	ts, err := s.store()
	if err != nil {
		return "", 0, err
	}
	return ts.ResolveStream(ctx, tenant, arn)
}

func (s tableStreams) Open(ctx context.Context, tableID string, after uint64) (mapping.StreamReader, error) {
	ts, err := s.store()
	if err != nil {
		return nil, err
	}
	rd, err := ts.OpenStream(ctx, tableID, after)
	if err != nil {
		return nil, err
	}
	return streamReader{rd}, nil
}

type streamReader struct{ rd *tables.RecordReader }

func (r streamReader) Next(ctx context.Context, max int, window time.Duration) ([]mapping.StreamRecord, error) {
	recs, err := r.rd.Next(ctx, max, window)
	out := make([]mapping.StreamRecord, len(recs))
	for i, rec := range recs {
		out[i] = mapping.StreamRecord{Seq: rec.Seq, Data: rec.Data, Created: rec.Created}
	}
	return out, err
}

func (r streamReader) Close() { r.rd.Close() }
