package async

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// legacyStream is where versions before the queue spine stored every
// pending event, in one work-queue stream.
const legacyStream = "ASYNC"

// migrate moves the events left in the old stream into their functions'
// queues (each keeps its request id, so a repeated move stores it once),
// then deletes the old stream.
func (q *Queue) migrate(ctx context.Context) error {
	if q.st == nil {
		return nil
	}
	s, err := q.st.JetStream().Stream(ctx, legacyStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("async: the old event stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("async: the old event stream: %w", err)
	}
	moved := 0
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("async: read the old event stream: %w", err)
		}
		var ev Event
		if err := json.Unmarshal(msg.Data, &ev); err != nil {
			q.cfg.Log.Error("dropping an undecodable event of the old stream: it could never run", "seq", seq, "err", err)
			continue
		}
		if err := q.send(ctx, &ev, ev.RequestID, nil); err != nil {
			return fmt.Errorf("async: move event %s to its function's queue: %w", ev.RequestID, err)
		}
		moved++
	}
	if err := q.st.JetStream().DeleteStream(ctx, legacyStream); err != nil {
		return fmt.Errorf("async: delete the old event stream: %w", err)
	}
	q.cfg.Log.Info("moved stored events into per-function queues", "events", moved)
	return nil
}
