package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CheckToken reports whether s can be one token of a subject: not empty,
// no dots, wildcards or whitespace. Subjects built from tenant and function
// names go through it so that a name can never widen a filter.
func CheckToken(s string) error {
	if s == "" || strings.ContainsAny(s, ".*> \t\r\n") {
		return fmt.Errorf("store: %q cannot be a subject token: it is empty or has '.', '*', '>' or whitespace", s)
	}
	return nil
}

// ReadOptions selects the batches ReadBatches reads.
type ReadOptions struct {
	Filter string    // subject filter, wildcards allowed
	Since  time.Time // zero: from the start; else messages stored at or after it
	// Follow keeps reading new messages until ctx ends (then ReadBatches
	// returns nil). Without it ReadBatches returns at the stream's end as it
	// was when called.
	Follow bool
}

// ReadBatches reads the messages a Batcher wrote to stream, in stream order,
// with an ordered consumer, and calls each for every item of every batch.
// An error from each stops the read and is returned.
//
// Items are filtered by the time their message was stored; an item added
// shortly before Since can be in a batch stored after it, so callers that
// care filter by the item's own time too.
func ReadBatches(ctx context.Context, stream jetstream.Stream, opt ReadOptions, each func(json.RawMessage) error) error {
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("store: stream info: %w", err)
	}
	last := info.State.LastSeq
	if !opt.Follow && (last == 0 || info.State.Msgs == 0) {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{opt.Filter}, InactiveThreshold: time.Minute}
	if !opt.Since.IsZero() {
		since := opt.Since
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: ordered consumer on %s: %w", opt.Filter, err)
	}
	defer deleteConsumer(ctx, stream, cons)
	if ci := cons.CachedInfo(); !opt.Follow && (ci == nil || ci.NumPending == 0) {
		return nil
	}
	// A few messages in flight: a batch can be 512 KiB or more.
	it, err := cons.Messages(jetstream.PullMaxMessages(32))
	if err != nil {
		return fmt.Errorf("store: read %s: %w", opt.Filter, err)
	}
	defer it.Stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				if opt.Follow {
					return nil
				}
				return ctx.Err()
			}
			return fmt.Errorf("store: read %s: %w", opt.Filter, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("store: read %s: %w", opt.Filter, err)
		}
		seq := meta.Sequence.Stream
		if !opt.Follow && seq > last {
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(msg.Data(), &items); err != nil {
			return fmt.Errorf("store: message %d on %s is not a batch: %w", seq, msg.Subject(), err)
		}
		for _, item := range items {
			if err := each(item); err != nil {
				return err
			}
		}
		if !opt.Follow && (seq >= last || meta.NumPending == 0) {
			return nil
		}
	}
}

// deleteConsumer removes a finished read's consumer now rather than after
// its inactivity threshold.
func deleteConsumer(ctx context.Context, stream jetstream.Stream, cons jetstream.Consumer) {
	ci := cons.CachedInfo()
	if ci == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = stream.DeleteConsumer(ctx, ci.Name) // best effort: it expires anyway
}
