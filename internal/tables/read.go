package tables

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Table returns tenant's table definition.
func (s *Store) Table(tenant, name string) (*Table, error) {
	t, _, err := s.table(tenant, name)
	return t, err
}

// Get returns tenant's item key of table name (nil when there is none).
// Reads are consistent: they read the item's subject, not the index.
func (s *Store) Get(ctx context.Context, tenant, name string, key attr.Item) (attr.Item, error) {
	t, _, err := s.table(tenant, name)
	if err != nil {
		return nil, err
	}
	k, err := t.key(key, true)
	if err != nil {
		return nil, err
	}
	return s.read(ctx, t.subject(k))
}

func (s *Store) read(ctx context.Context, subject string) (attr.Item, error) {
	m, err := s.data.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tables: read %s: %w", subject, err)
	}
	if m.Header.Get(hdrDeleted) != "" {
		return nil, nil
	}
	var it attr.Item
	if err := json.Unmarshal(m.Data, &it); err != nil {
		return nil, fmt.Errorf("tables: stored item %s: %w", subject, err)
	}
	return it, nil
}

// Visit sees one item of a query or scan, in order; it returns false to
// stop.
type Visit func(key, item attr.Item) (more bool, err error)

// QueryInput is a Query's key part.
type QueryInput struct {
	Hash attr.Value
	// Range says whether a sort key value satisfies the key condition
	// (nil: every one). The matching values are contiguous in sort order.
	Range   func(attr.Value) bool
	Forward bool
	// After is ExclusiveStartKey (nil: from the first item).
	After attr.Item
}

// Query visits the items of one partition in sort-key order: a range
// scan of the index, reading each item once.
func (s *Store) Query(ctx context.Context, tenant, name string, in QueryInput, visit Visit) error {
	t, x, err := s.table(tenant, name)
	if err != nil {
		return err
	}
	hp, err := newKeyPart(t.Hash.Name, t.Hash.Type, in.Hash)
	if err != nil {
		return err
	}
	var after *itemKey
	if in.After != nil {
		k, err := t.key(in.After, false)
		if err != nil {
			return validation("The provided starting key is invalid: %s", fnMessage(err))
		}
		if k.hash.canon != hp.canon {
			return validation("The provided starting key is invalid: The provided key element does not match the schema")
		}
		after = &k
	}
	entries := x.partitionKeys(hp.canon, in.Forward)
	matched := false
	for _, e := range entries {
		if after != nil {
			if after.rng == nil {
				return nil
			}
			c := e.key.rng.compare(*after.rng)
			if in.Forward && c <= 0 || !in.Forward && c >= 0 {
				continue
			}
		}
		if in.Range != nil && e.key.rng != nil {
			if !in.Range(e.key.rng.v) {
				if matched {
					return nil // past the contiguous matching run
				}
				continue
			}
			matched = true
		}
		if more, err := s.visitEntry(ctx, t, e, visit); err != nil || !more {
			return err
		}
	}
	return nil
}

func (s *Store) visitEntry(ctx context.Context, t *Table, e entry, visit Visit) (bool, error) {
	it, err := s.read(ctx, t.subject(e.key))
	if err != nil {
		return false, err
	}
	if it == nil {
		return true, nil // deleted since the index was copied
	}
	return visit(t.keyItem(e.key), it)
}

// ScanInput is a Scan's position and segment.
type ScanInput struct {
	After                  attr.Item
	Segment, TotalSegments int
}

// Scan visits every item of the table (of the segment), partition by
// partition.
func (s *Store) Scan(ctx context.Context, tenant, name string, in ScanInput, visit Visit) error {
	t, x, err := s.table(tenant, name)
	if err != nil {
		return err
	}
	var after *itemKey
	if in.After != nil {
		k, err := t.key(in.After, false)
		if err != nil {
			return validation("The provided starting key is invalid: %s", fnMessage(err))
		}
		after = &k
	}
	keep := func(string) bool { return true }
	if in.TotalSegments > 1 {
		keep = func(h string) bool {
			f := fnv.New32a()
			_, _ = f.Write([]byte(h))
			return int(f.Sum32()%uint32(in.TotalSegments)) == in.Segment
		}
	}
	for {
		batch := x.scanFrom(after, 256, keep)
		if len(batch) == 0 {
			return nil
		}
		for _, e := range batch {
			if more, err := s.visitEntry(ctx, t, e, visit); err != nil || !more {
				return err
			}
		}
		last := batch[len(batch)-1].key
		after = &last
	}
}

func fnMessage(err error) string {
	var e interface{ Error() string }
	if errors.As(err, &e) {
		return e.Error()
	}
	return ""
}
