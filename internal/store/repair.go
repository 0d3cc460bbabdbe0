package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxRepairBytes bounds a stream Repair rewrites: it holds the stream in
// memory while it does.
const maxRepairBytes = 512 << 20

// Repair rewrites every stream of rep that holds messages it cannot read
// back, keeping the messages that can be read, so that its state matches
// what it can deliver: a consumer or KV watcher on such a stream waits
// forever for the unreadable message. Only a start that accepts the
// losses (serve --allow-degraded) calls it. Rewritten messages keep their
// subjects, headers and order, and get new sequence numbers and times.
// It returns the names of the streams it rewrote.
func (s *Store) Repair(ctx context.Context, rep *Report) ([]string, error) {
	var done []string
	for _, sr := range rep.Streams {
		if sr.Unread || sr.Readable >= sr.Msgs {
			continue
		}
		if err := s.rewrite(ctx, sr.Name); err != nil {
			return done, err
		}
		done = append(done, sr.Name)
	}
	return done, nil
}

type keptMsg struct {
	subject string
	header  nats.Header
	data    []byte
}

func (s *Store) rewrite(ctx context.Context, name string) error {
	st, err := s.js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("store: repair %s: %w", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("store: repair %s: %w", name, err)
	}
	if info.State.Bytes > maxRepairBytes {
		return fmt.Errorf("store: stream %s holds %d bytes, more than can be repaired in memory (%d): restore a backup", name, info.State.Bytes, maxRepairBytes)
	}
	var kept []keptMsg
	for seq := max(info.State.FirstSeq, 1); seq <= info.State.LastSeq; {
		msg, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("store: repair %s: read %d: %w", name, seq, err)
		}
		h := msg.Header
		// A direct get adds where the message was stored; a re-published
		// id would be taken for a duplicate and dropped.
		for _, k := range []string{jetstream.MsgIDHeader, jetstream.StreamHeader, jetstream.SequenceHeader,
			jetstream.TimeStampHeaer, jetstream.SubjectHeader, "Nats-Last-Sequence", "Nats-Num-Pending"} {
			h.Del(k)
		}
		kept = append(kept, keptMsg{subject: msg.Subject, header: h, data: msg.Data})
		seq = max(msg.Sequence, seq) + 1
	}
	if err := st.Purge(ctx); err != nil {
		return fmt.Errorf("store: repair %s: purge: %w", name, err)
	}
	for i, m := range kept {
		out := nats.NewMsg(m.subject)
		out.Header, out.Data = m.header, m.data
		if _, err := s.js.PublishMsg(ctx, out); err != nil {
			return fmt.Errorf("store: repair %s: %d of %d messages written back, then: %w", name, i, len(kept), err)
		}
	}
	s.log.log.Warn("store: stream rewritten without its unreadable messages", "stream", name, "messages_kept", len(kept),
		"messages_dropped", info.State.Msgs-uint64(len(kept)))
	return nil
}
