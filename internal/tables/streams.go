package tables

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// StreamRecord is one stored stream record, read in order.
type StreamRecord struct {
	Seq     uint64
	Data    []byte // the record in DynamoDB Streams' shape, SequenceNumber set
	Created time.Time
}

// ResolveStream checks that tenant has the stream arn (its table exists
// and arn is its latest stream) and returns the table's id and the
// sequence of its latest record (0: none yet).
func (s *Store) ResolveStream(ctx context.Context, tenant, arn string) (string, uint64, error) {
	missing := fn.InvalidParameter("the stream %s does not exist: turn the table's stream on (StreamSpecification) and use its LatestStreamArn", arn)
	rest, ok := strings.CutPrefix(arn, "arn:aws:dynamodb:")
	if !ok {
		return "", 0, missing
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[1] != fn.AccountID(tenant) {
		return "", 0, missing
	}
	name, label, ok := strings.Cut(strings.TrimPrefix(parts[2], "table/"), "/stream/")
	if !ok {
		return "", 0, missing
	}
	t, _, err := s.table(tenant, name)
	if err != nil || t.StreamLabel != label || !t.StreamEnabled() {
		return "", 0, missing
	}
	m, err := s.data.GetLastMsgForSubject(ctx, RecordSubjects(t.ID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return t.ID, 0, nil
	} else if err != nil {
		return "", 0, fmt.Errorf("tables: latest record of %s: %w", name, err)
	}
	return t.ID, m.Sequence, nil
}

// RecordReader reads one table's stream records in order.
type RecordReader struct {
	msgs   jetstream.MessagesContext
	ch     chan StreamRecord
	errc   chan error
	cancel context.CancelFunc
	done   chan struct{}
}

// OpenStream reads table id's stream records after sequence after.
func (s *Store) OpenStream(ctx context.Context, id string, after uint64) (*RecordReader, error) {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{RecordSubjects(id)}}
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	c, err := s.js.OrderedConsumer(ctx, DataStream, cfg)
	if err != nil {
		return nil, fmt.Errorf("tables: read the stream of %s: %w", id, err)
	}
	it, err := c.Messages()
	if err != nil {
		return nil, fmt.Errorf("tables: read the stream of %s: %w", id, err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	rd := &RecordReader{msgs: it, ch: make(chan StreamRecord, 64), errc: make(chan error, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rd.done)
		for {
			m, err := it.Next()
			if err != nil {
				if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					rd.errc <- err
				}
				return
			}
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			if ok, err := s.waitSettled(rctx, m.Subject(), md.Sequence.Stream, m.Headers().Get(hdrEventID), md.Timestamp); err != nil {
				if rctx.Err() == nil {
					rd.errc <- err
				}
				return
			} else if !ok {
				continue // its write did not happen
			}
			rec, err := DecodeRecord(m.Data(), md.Sequence.Stream)
			if err != nil {
				s.log.Error("an unreadable stream record is skipped", "seq", md.Sequence.Stream, "err", err)
				continue
			}
			data, err := jsonMarshal(rec)
			if err != nil {
				continue
			}
			select {
			case rd.ch <- StreamRecord{Seq: md.Sequence.Stream, Data: data, Created: md.Timestamp}:
			case <-rctx.Done():
				return
			}
		}
	}()
	return rd, nil
}

// Next waits for a record, then takes up to max records arriving within
// window (none more when window is 0: what is already there).
func (rd *RecordReader) Next(ctx context.Context, max int, window time.Duration) ([]StreamRecord, error) {
	var out []StreamRecord
	select {
	case r := <-rd.ch:
		out = append(out, r)
	case err := <-rd.errc:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var deadline <-chan time.Time
	if window > 0 {
		t := time.NewTimer(window)
		defer t.Stop()
		deadline = t.C
	}
	for len(out) < max {
		if deadline == nil {
			select {
			case r := <-rd.ch:
				out = append(out, r)
				continue
			default:
				return out, nil
			}
		}
		select {
		case r := <-rd.ch:
			out = append(out, r)
		case <-deadline:
			return out, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// Close stops the reader.
func (rd *RecordReader) Close() {
	rd.cancel()
	rd.msgs.Stop()
	<-rd.done
}

// waitSettled waits until the record at seq is settled: true to deliver
// it, false when its write did not happen. A record pending longer than
// settleGrace is settled here.
func (s *Store) waitSettled(ctx context.Context, subject string, seq uint64, id string, stored time.Time) (bool, error) {
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		deliver, skip, err := s.committed(ctx, subject, seq, id)
		switch {
		case err != nil:
			return false, err
		case deliver || skip:
			return deliver, nil
		case time.Since(stored) > settleGrace:
			if err := s.settleSubject(ctx, subject); err != nil {
				return false, err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(wait):
		}
	}
}
