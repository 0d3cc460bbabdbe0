package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/updraft-dev/updraft/internal/fn"
)

// maxGroup bounds the messages of one group commit (the server allows
// 1,000 in an atomic batch; a transaction needs at most 200).
const maxGroup = 400

// commitReq is one write's messages waiting for the committer.
type commitReq struct {
	msgs []*nats.Msg
	seq  uint64 // the sequence of its last message, once stored
	err  error
	done chan struct{}
}

// publish stores msgs (one write: an item, or an item and its stream
// record, or a whole transaction) atomically and returns the sequence of
// the last one. A single message is published as itself. Several go
// through the committer: an atomic batch costs the server a staging store
// of its own (about as much as ten plain publishes here), so the writes
// that queue up while one commits are stored together in the next atomic
// batch (group commit). Each write holds its items' locks, so one group
// never holds two writes of the same item.
func (s *Store) publish(ctx context.Context, msgs []*nats.Msg) (uint64, error) {
	if len(msgs) == 1 {
		return s.atomic(ctx, msgs)
	}
	req := &commitReq{msgs: msgs, done: make(chan struct{})}
	select {
	case s.commits <- req:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.stopped:
		return 0, fn.Unavailable("tables are closing: the write was not stored, retry")
	}
	select {
	case <-req.done: // once taken, a write is answered: its fate is known
		return req.seq, req.err
	case <-s.stopped:
		select {
		case <-req.done:
			return req.seq, req.err
		default:
			return 0, fn.Unavailable("tables are closing: the write was not stored, retry")
		}
	}
}

// runCommitter stores queued writes, a group at a time, until ctx ends.
func (s *Store) runCommitter(ctx context.Context) {
	defer s.wg.Done()
	defer close(s.stopped)
	for {
		var first *commitReq
		select {
		case first = <-s.commits:
		case <-ctx.Done():
			return
		}
		group := []*commitReq{first}
		n := len(first.msgs)
	more:
		for n < maxGroup {
			select {
			case r := <-s.commits:
				group = append(group, r)
				n += len(r.msgs)
			default:
				break more
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup stores a group as one atomic batch; when that fails (a
// write lost a race with another node's write of its item), each write
// is stored alone, so only the losers fail.
func (s *Store) commitGroup(group []*commitReq) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	ctx := context.Background()
	var all []*nats.Msg
	for _, r := range group {
		all = append(all, r.msgs...)
	}
	last, err := s.atomic(ctx, all)
	if err == nil {
		end := len(all)
		for i := len(group) - 1; i >= 0; i-- {
			group[i].seq = last - uint64(len(all)-end)
			end -= len(group[i].msgs)
		}
		return
	}
	if len(group) == 1 {
		group[0].err = err
		return
	}
	for _, r := range group {
		r.seq, r.err = s.atomic(ctx, r.msgs)
	}
}

// atomic stores msgs as one atomic batch (a single message as itself)
// and returns the sequence of the last one.
func (s *Store) atomic(ctx context.Context, msgs []*nats.Msg) (uint64, error) {
	if len(msgs) == 1 {
		ack, err := s.js.PublishMsg(ctx, msgs[0])
		if err != nil {
			return 0, publishErr(err)
		}
		return ack.Sequence, nil
	}
	id := nuid.Next()
	for i, m := range msgs {
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			if err := s.nc.PublishMsg(m); err != nil {
				return 0, fmt.Errorf("tables: publish: %w", err)
			}
		}
	}
	last := msgs[len(msgs)-1]
	last.Header.Set("Nats-Batch-Commit", "1")
	reply, err := s.nc.RequestMsgWithContext(ctx, last)
	if err != nil {
		return 0, fmt.Errorf("tables: commit: %w", err)
	}
	var ack struct {
		Seq   uint64 `json:"seq"`
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     uint16 `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &ack); err != nil {
		return 0, fmt.Errorf("tables: commit reply %q: %w", reply.Data, err)
	}
	if ack.Error != nil {
		if wrongLast(jetstream.ErrorCode(ack.Error.ErrCode)) {
			return 0, conflict("an item")
		}
		return 0, fn.Internal(fmt.Errorf("tables: commit: %s (%d)", ack.Error.Description, ack.Error.ErrCode))
	}
	return ack.Seq, nil
}
