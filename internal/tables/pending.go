package tables

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// A single-item write to a table with a stream stores two plain messages
// instead of one atomic batch (which costs the server a staging store of
// its own, ten times a plain publish here): first the stream record, on
// the item's record subject, carrying the new version; then the item,
// naming that record in Tbl-Record-Id. A record that its item does not
// name yet is pending: its write is in flight, or the server stopped
// between the two messages. Whoever meets a pending record under the
// item's lock settles it before anything else: it rolls the record's
// version forward if the item is still the one the record expected, and
// deletes the record otherwise. So every record stored describes a
// version the item took, and a record is delivered only once it is
// settled.

// Headers of the write protocol.
const (
	hdrRecordID = "Tbl-Record-Id" // on an item: the id of its latest record
	hdrEventID  = "Tbl-Event-Id"  // on a record: its event id
	hdrRollup   = "Nats-Rollup"   // "sub": the item message replaces its subject's
)

// settleGrace is how old a pending record must be before a writer or a
// reader settles it: younger, it may be another node's write in flight.
var settleGrace = 5 * time.Second

// envelope is a stored record: the stream record, and what its write
// does to the item.
type envelope struct {
	Record json.RawMessage `json:"r"`
	Expect uint64          `json:"x"`           // the item subject's sequence the write expected
	Item   attr.Item       `json:"i,omitempty"` // the new version; nil: deleted
}

// recordSubject is the subject of an item's stream records.
func (t *Table) recordSubject(k itemKey) string {
	return changePrefix(t.ID) + strings.TrimPrefix(t.subject(k), itemPrefix(t.ID))
}

// itemOfRecord is the item subject of a record subject.
func itemOfRecord(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) != 4 {
		return ""
	}
	return parts[0] + "." + parts[1] + ".i." + parts[3]
}

// settle resolves a pending record of p's item; p is loaded and its lock
// held. It reloads p when it rolled a version forward.
func (s *Store) settle(ctx context.Context, p *prepared, grace time.Duration) error {
	if p.t.StreamLabel == "" {
		return nil // the table never had a stream: no records
	}
	rs := p.t.recordSubject(p.key)
	last, err := s.data.GetLastMsgForSubject(ctx, rs)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("tables: last record of %s: %w", rs, err)
	}
	if last.Header.Get(hdrEventID) == p.ref {
		return nil
	}
	if time.Since(last.Time) < grace {
		return conflict("an item")
	}
	var env envelope
	if err := json.Unmarshal(last.Data, &env); err != nil {
		return fmt.Errorf("tables: record %d: %w", last.Sequence, err)
	}
	if env.Expect != p.lastSeq {
		s.log.Warn("deleting a stream record whose write did not happen", "subject", rs, "seq", last.Sequence)
		if err := s.data.DeleteMsg(ctx, last.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("tables: delete record %d: %w", last.Sequence, err)
		}
		return nil
	}
	s.log.Warn("completing a write the server stopped in", "subject", p.subject, "record", last.Sequence)
	im, e, err := itemMessage(p, env.Item, last.Header.Get(hdrEventID))
	if err != nil {
		return err
	}
	seq, err := s.atomic(ctx, []*nats.Msg{im})
	if err != nil {
		return err
	}
	s.applyIndex(p, env.Item == nil, e, seq)
	p.old, p.ref, p.lastSeq = nil, "", 0
	return s.load(ctx, p)
}

// itemMessage is the message of p's item's new version nw (nil: a
// tombstone), naming its latest record ref.
func itemMessage(p *prepared, nw attr.Item, ref string) (*nats.Msg, entry, error) {
	im := nats.NewMsg(p.subject)
	im.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(p.lastSeq, 10))
	im.Header.Set(hdrRollup, "sub")
	if ref != "" {
		im.Header.Set(hdrRecordID, ref)
	}
	e := entry{key: p.key}
	if nw == nil {
		im.Header.Set(hdrDeleted, "1")
		return im, e, nil
	}
	data, err := json.Marshal(nw)
	if err != nil {
		return nil, e, fmt.Errorf("tables: encode: %w", err)
	}
	im.Data = data
	e.size, e.expires = ItemSize(nw), expiry(p.t, nw)
	im.Header.Set(hdrSize, strconv.Itoa(e.size))
	if e.expires > 0 {
		im.Header.Set(hdrExpires, strconv.FormatInt(e.expires, 10))
	}
	return im, e, nil
}

// applyIndex records a stored write of p's item in its index.
func (s *Store) applyIndex(p *prepared, deleted bool, e entry, seq uint64) {
	if deleted {
		p.x.remove(p.key, seq)
		return
	}
	e.seq = seq
	p.x.put(e)
}

// twoStep stores one item's record, then the item (see the top of this
// file). On a refusal of the item it deletes the record, unless another
// node completed the write meanwhile.
func (s *Store) twoStep(ctx context.Context, p *prepared, rec, im *nats.Msg) (uint64, error) {
	rseq, err := s.atomic(ctx, []*nats.Msg{rec})
	if err != nil {
		return 0, err
	}
	seq, err := s.atomic(ctx, []*nats.Msg{im})
	if err == nil {
		return seq, nil
	}
	id := rec.Header.Get(hdrEventID)
	if cur, lerr := s.data.GetLastMsgForSubject(ctx, p.subject); lerr == nil && cur.Header.Get(hdrRecordID) == id {
		return cur.Sequence, nil // settled by another node: the write happened
	}
	if derr := s.data.DeleteMsg(ctx, rseq); derr != nil && !errors.Is(derr, jetstream.ErrMsgNotFound) {
		s.log.Error("a stream record of a failed write could not be deleted; it is settled later", "seq", rseq, "err", derr)
	}
	return 0, err
}

// committed tells a reader whether the record at seq on subject is
// settled (deliver it), gone (skip it) or pending (wait).
func (s *Store) committed(ctx context.Context, subject string, seq uint64, id string) (deliver, skip bool, err error) {
	item, err := s.data.GetLastMsgForSubject(ctx, itemOfRecord(subject))
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, false, err
	}
	if err == nil && item.Header.Get(hdrRecordID) == id {
		return true, false, nil
	}
	last, err := s.data.GetLastMsgForSubject(ctx, subject)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return false, true, nil
	case err != nil:
		return false, false, err
	case last.Sequence > seq:
		return true, false, nil // a later write settled this one first: it happened
	case last.Sequence < seq:
		return false, true, nil // deleted: its write did not happen
	}
	return false, false, nil
}

// settleSubject settles the pending record of the item of record subject
// (a reader's last resort, after settleGrace).
func (s *Store) settleSubject(ctx context.Context, subject string) error {
	parts := strings.Split(subject, ".")
	if len(parts) < 4 {
		return nil
	}
	id := parts[1]
	k, ok := keyFromTokens(parts[3:])
	if !ok {
		return nil
	}
	s.mu.RLock()
	var t *Table
	for _, d := range s.defs {
		if d.t.ID == id {
			t = d.t
		}
	}
	x := s.indexes[id]
	s.mu.RUnlock()
	if t == nil {
		return nil
	}
	p := &prepared{t: t, x: x, key: k, subject: t.subject(k)}
	unlock := s.locks.lock([]string{p.subject})
	defer unlock()
	if err := s.load(ctx, p); err != nil {
		return err
	}
	return s.settle(ctx, p, settleGrace)
}
