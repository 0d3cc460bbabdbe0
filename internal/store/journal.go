package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
)

// Journal is a stream written through a Batcher: appends are cheap and
// batched, reads go to the stream. Logs and usage records are journals.
type Journal struct {
	name   string
	Stream jetstream.Stream
	Batch  *Batcher
}

// OpenJournal creates or updates the stream of scfg and a batcher for it.
func OpenJournal(ctx context.Context, st *Store, scfg jetstream.StreamConfig, bcfg BatchConfig, log *slog.Logger) (*Journal, error) {
	stream, err := st.Stream(ctx, scfg)
	if err != nil {
		return nil, err
	}
	return &Journal{name: scfg.Name, Stream: stream, Batch: NewBatcher(st, bcfg, log)}, nil
}

// Start starts storing appended items.
func (j *Journal) Start(ctx context.Context) error {
	if err := j.Batch.Start(ctx); err != nil {
		return fmt.Errorf("%s: %w", j.name, err)
	}
	return nil
}

// Close stores what is pending and stops.
func (j *Journal) Close(ctx context.Context) error {
	if err := j.Batch.Close(ctx); err != nil {
		return fmt.Errorf("%s: close: %w", j.name, err)
	}
	return nil
}

// Flush stores every item appended before the call.
func (j *Journal) Flush(ctx context.Context) error {
	if err := j.Batch.Flush(ctx); err != nil {
		return fmt.Errorf("%s: flush: %w", j.name, err)
	}
	return nil
}
