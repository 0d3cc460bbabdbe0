package tables

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Headers of item messages.
const (
	hdrDeleted = "Tbl-Deleted" // a tombstone: the item was deleted
	hdrExpires = "Tbl-Expires" // the item's TTL, epoch seconds
	hdrSize    = "Tbl-Size"    // the item's size as DynamoDB counts it
)

func keyFromTokens(toks []string) (itemKey, bool) {
	var k itemKey
	for i, t := range toks {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return k, false
		}
		p, ok := partFromCanon(string(b))
		if !ok {
			return k, false
		}
		if i == 0 {
			k.hash = p
		} else {
			k.rng = &p
		}
	}
	return k, true
}

func parseEpoch(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// itemLocks serialize writes to one item on this node; the data stream's
// expected-last-subject-sequence check serializes them across nodes.
type itemLocks struct {
	mu sync.Mutex
	m  map[string]*itemLock
}

type itemLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks every subject (sorted, so two transactions never deadlock)
// and returns the unlock.
func (l *itemLocks) lock(subjects []string) func() {
	subs := append([]string(nil), subjects...)
	sort.Strings(subs)
	var held []*itemLock
	var names []string
	for i, s := range subs {
		if i > 0 && s == subs[i-1] {
			continue
		}
		l.mu.Lock()
		e, ok := l.m[s]
		if !ok {
			e = &itemLock{}
			l.m[s] = e
		}
		e.refs++
		l.mu.Unlock()
		e.mu.Lock()
		held = append(held, e)
		names = append(names, s)
	}
	return func() {
		for i, e := range held {
			e.mu.Unlock()
			l.mu.Lock()
			e.refs--
			if e.refs == 0 {
				delete(l.m, names[i])
			}
			l.mu.Unlock()
		}
	}
}

// Change decides an item's new version from its current one (nil: it
// does not exist) under the item's lock: the new item (nil: delete it)
// and whether to write at all (false: a condition check only).
type Change func(old attr.Item) (new attr.Item, write bool, err error)

// Mutation is one item's change within a write.
type Mutation struct {
	Table  string
	Key    attr.Item // the key, or the whole item for a put
	Exact  bool      // Key must hold exactly the key attributes
	Change Change
}

// Result is one mutation's outcome: the item before and after.
type Result struct {
	Old, New attr.Item
	Changed  bool
}

// Source says who made a change: "" a user; Service the TTL reaper.
type Source string

// Service marks the TTL reaper's deletions in their stream records.
const Service Source = "service"

// prepared is one mutation resolved against the store.
type prepared struct {
	t       *Table
	x       *index
	key     itemKey
	subject string
	lastSeq uint64
	old     attr.Item
	ref     string // the item message's Tbl-Record-Id
}

// Write applies one mutation.
func (s *Store) Write(ctx context.Context, tenant string, m Mutation) (Result, error) {
	res, err := s.Transact(ctx, tenant, []Mutation{m}, "")
	if err != nil {
		var c *Canceled
		if errors.As(err, &c) && len(c.Reasons) == 1 && c.Reasons[0].Code == "ConditionalCheckFailed" {
			return Result{}, &CheckFailed{Item: c.Reasons[0].Item}
		}
		return Result{}, err
	}
	return res[0], nil
}

// Transact applies mutations all or nothing, in one atomic batch of the
// data stream: every item's new version and its stream record. A
// mutation whose Change fails cancels all of them (a *Canceled with
// one reason per mutation); a validation error is returned as it is.
func (s *Store) Transact(ctx context.Context, tenant string, ms []Mutation, src Source) ([]Result, error) {
	return s.transact(ctx, tenant, ms, src)
}

func (s *Store) transact(ctx context.Context, tenant string, ms []Mutation, src Source) ([]Result, error) {
	ps := make([]prepared, len(ms))
	subjects := make([]string, len(ms))
	seen := map[string]bool{}
	for i, m := range ms {
		t, x, err := s.table(tenant, m.Table)
		if err != nil {
			return nil, err
		}
		k, err := t.key(m.Key, m.Exact)
		if err != nil {
			return nil, err
		}
		ps[i] = prepared{t: t, x: x, key: k, subject: t.subject(k)}
		if seen[ps[i].subject] {
			return nil, validation("Transaction request cannot include multiple operations on one item")
		}
		seen[ps[i].subject] = true
		subjects[i] = ps[i].subject
	}
	unlock := s.locks.lock(subjects)
	defer unlock()

	res := make([]Result, len(ms))
	reasons := make([]Reason, len(ms))
	failed := false
	var msgs []*nats.Msg
	var apply []func(seq uint64)
	for i, m := range ms {
		p := &ps[i]
		if err := s.load(ctx, p); err != nil {
			return nil, err
		}
		if err := s.settle(ctx, p, settleGrace); err != nil {
			return nil, err
		}
		reasons[i].Code = "None"
		nw, write, err := m.Change(cloneItem(p.old))
		if err != nil {
			var cf *CheckFailed
			if errors.As(err, &cf) {
				reasons[i] = Reason{Code: "ConditionalCheckFailed", Message: "The conditional request failed", Item: p.old}
				failed = true
				continue
			}
			return nil, err
		}
		res[i] = Result{Old: p.old, New: p.old}
		if !write {
			continue
		}
		if nw != nil {
			nk, err := p.t.key(nw, false)
			if err != nil {
				return nil, err
			}
			if nk.id() != p.key.id() {
				return nil, validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", p.t.Hash.Name)
			}
		}
		if p.old == nil && nw == nil {
			continue // deleting what is not there: nothing changes
		}
		if nw != nil {
			nw = canonicalItem(nw)
		}
		oldJSON, newJSON, _, err := encodeItems(p.old, nw)
		if err != nil {
			return nil, err
		}
		if nw != nil && bytes.Equal(oldJSON, newJSON) {
			res[i].New = nw
			continue // the same item: DynamoDB writes no stream record
		}
		res[i] = Result{Old: p.old, New: nw, Changed: true}
		ref := p.ref
		var rec *nats.Msg
		if p.t.StreamEnabled() {
			if rec, err = newRecord(p.t, p.key, p.old, nw, src, p.lastSeq); err != nil {
				return nil, err
			}
			ref = rec.Header.Get(hdrEventID)
		}
		im, e, err := itemMessage(p, nw, ref)
		if err != nil {
			return nil, err
		}
		if len(ms) == 1 && rec != nil {
			seq, err := s.twoStep(ctx, p, rec, im)
			if err != nil {
				return nil, err
			}
			s.applyIndex(p, nw == nil, e, seq)
			return res, nil
		}
		if rec != nil {
			msgs = append(msgs, rec)
		}
		msgs = append(msgs, im)
		pos := len(msgs) - 1
		pp, deleted := p, nw == nil
		apply = append(apply, func(last uint64) {
			s.applyIndex(pp, deleted, e, last-uint64(len(msgs)-1-pos))
		})
	}
	if failed {
		return nil, &Canceled{Reasons: reasons}
	}
	if len(msgs) == 0 {
		return res, nil
	}
	seq, err := s.publish(ctx, msgs)
	if err != nil {
		return nil, err
	}
	for _, a := range apply {
		a(seq)
	}
	return res, nil
}

// load reads p's item as it is now, and the sequence a write must expect.
func (s *Store) load(ctx context.Context, p *prepared) error {
	m, err := s.data.GetLastMsgForSubject(ctx, p.subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tables: read %s: %w", p.subject, err)
	}
	p.lastSeq = m.Sequence
	p.ref = m.Header.Get(hdrRecordID)
	if m.Header.Get(hdrDeleted) != "" {
		return nil
	}
	if err := json.Unmarshal(m.Data, &p.old); err != nil {
		return fmt.Errorf("tables: stored item %s: %w", p.subject, err)
	}
	return nil
}

func publishErr(err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && wrongLast(apiErr.ErrorCode) {
		return conflict("an item")
	}
	return fmt.Errorf("tables: publish: %w", err)
}

// encodeItems encodes old and new and checks new's size.
func encodeItems(old, nw attr.Item) (oldJSON, newJSON []byte, size int, err error) {
	if old != nil {
		if oldJSON, err = json.Marshal(old); err != nil {
			return nil, nil, 0, fmt.Errorf("tables: encode: %w", err)
		}
	}
	if nw != nil {
		size = ItemSize(nw)
		if size > MaxItemSize {
			return nil, nil, 0, itemTooLarge()
		}
		if newJSON, err = json.Marshal(nw); err != nil {
			return nil, nil, 0, validation("%v", err)
		}
	}
	return oldJSON, newJSON, size, nil
}

// expiry is item's TTL in epoch seconds when its table has TTL on and
// the attribute is a number; 0 otherwise.
func expiry(t *Table, item attr.Item) int64 {
	if t.TTLAttribute == "" || item == nil {
		return 0
	}
	v, ok := item[t.TTLAttribute]
	if !ok || v.N == nil {
		return 0
	}
	c, err := canonicalNumber(*v.N)
	if err != nil {
		return 0
	}
	whole, _, _ := cutDot(c)
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func cutDot(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func cloneItem(it attr.Item) attr.Item {
	if it == nil {
		return nil
	}
	b, _ := json.Marshal(it)
	var out attr.Item
	_ = json.Unmarshal(b, &out)
	return out
}

// now is the clock of stream records.
var now = time.Now

// wrongLast reports the store's refusal of a write whose expected last
// subject sequence was stale (a concurrent write on another node).
func wrongLast(c jetstream.ErrorCode) bool {
	return c == jetstream.JSErrCodeStreamWrongLastSequence || c == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}
