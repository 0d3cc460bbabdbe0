package mapping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
)

// Bucket holds every mapping's definition, keyed "TENANT.UUID".
const Bucket = "EVENT_SOURCE_MAPPINGS"

// Store keeps mapping definitions.
type Store struct {
	kv  jetstream.KeyValue
	pos jetstream.KeyValue // stream mappings' positions (PositionBucket)
	log *slog.Logger
}

// Open opens (or creates) the definitions bucket.
func Open(ctx context.Context, st *store.Store, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Description: "event source mappings", History: 1})
	if err != nil {
		return nil, fmt.Errorf("mapping: definitions: %w", err)
	}
	pos, err := st.KV(ctx, jetstream.KeyValueConfig{Bucket: PositionBucket, Description: "stream event source mappings' positions", History: 1})
	if err != nil {
		return nil, fmt.Errorf("mapping: positions: %w", err)
	}
	return &Store{kv: kv, pos: pos, log: log.With("component", "mapping")}, nil
}

// Tenant names and UUIDs hold only key-safe characters.
func key(tenant, uuid string) string { return tenant + "." + uuid }

// NotFound is Lambda's error for an unknown mapping.
func NotFound(uuid string) error {
	return fn.NotFound("The resource you requested does not exist. (event source mapping %s: list yours with ListEventSourceMappings or `updraft trigger ls`)", uuid)
}

// Create stores a new mapping with a fresh UUID. m is validated first.
func (s *Store) Create(ctx context.Context, m Mapping) (Mapping, error) {
	if err := m.Validate(); err != nil {
		return Mapping{}, err
	}
	m.UUID = queue.NewID()
	now := time.Now().UTC()
	m.Created, m.LastModified = now, now
	m.Reason = ReasonUser
	data, _ := json.Marshal(m)
	rev, err := s.kv.Create(ctx, key(m.Tenant, m.UUID), data)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping: store %s: %w", m.UUID, err)
	}
	m.Revision = rev
	return m, nil
}

// Get returns tenant's mapping uuid; another tenant's is not found.
func (s *Store) Get(ctx context.Context, tenant, uuid string) (Mapping, error) {
	if !validUUID(uuid) {
		return Mapping{}, NotFound(uuid)
	}
	e, err := s.kv.Get(ctx, key(tenant, uuid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Mapping{}, NotFound(uuid)
	} else if err != nil {
		return Mapping{}, fmt.Errorf("mapping: get %s: %w", uuid, err)
	}
	return decode(e)
}

// List returns tenant's mappings, oldest first.
func (s *Store) List(ctx context.Context, tenant string) ([]Mapping, error) {
	lister, err := s.kv.ListKeysFiltered(ctx, tenant+".*")
	if err != nil {
		return nil, fmt.Errorf("mapping: list: %w", err)
	}
	var out []Mapping
	for k := range lister.Keys() {
		e, err := s.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, fmt.Errorf("mapping: list: %w", err)
		}
		m, err := decode(e)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Mapping) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return out, nil
}

// Update changes tenant's mapping uuid with change, validates the result
// and stores it unless it was changed meanwhile (then change runs again
// on the newer definition).
func (s *Store) Update(ctx context.Context, tenant, uuid string, change func(*Mapping) error) (Mapping, error) {
	for {
		m, err := s.Get(ctx, tenant, uuid)
		if err != nil {
			return Mapping{}, err
		}
		if err := change(&m); err != nil {
			return Mapping{}, err
		}
		if err := m.Validate(); err != nil {
			return Mapping{}, err
		}
		m.LastModified = time.Now().UTC()
		m.Reason = ReasonUser
		data, _ := json.Marshal(m)
		rev, err := s.kv.Update(ctx, key(tenant, uuid), data, m.Revision)
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue
		} else if err != nil {
			return Mapping{}, fmt.Errorf("mapping: update %s: %w", uuid, err)
		}
		m.Revision = rev
		return m, nil
	}
}

// Delete removes tenant's mapping uuid and returns what it was.
func (s *Store) Delete(ctx context.Context, tenant, uuid string) (Mapping, error) {
	m, err := s.Get(ctx, tenant, uuid)
	if err != nil {
		return Mapping{}, err
	}
	if err := s.kv.Purge(ctx, key(tenant, uuid)); err != nil {
		return Mapping{}, fmt.Errorf("mapping: delete %s: %w", uuid, err)
	}
	if m.Stream != nil {
		if err := s.pos.Purge(ctx, key(tenant, uuid)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return m, fmt.Errorf("mapping: delete the position of %s: %w", uuid, err)
		}
	}
	return m, nil
}

// Watch calls f for every mapping, first the existing ones, then every
// change until ctx ends; m is nil when the mapping was deleted. It watches
// the bucket, so mappings made on another node are seen too. f runs on
// one goroutine; Watch returns once the existing mappings were passed.
func (s *Store) Watch(ctx context.Context, f func(tenant, uuid string, m *Mapping)) error {
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("mapping: watch: %w", err)
	}
	loaded := make(chan struct{})
	go func() {
		defer func() {
			if err := w.Stop(); err != nil {
				s.log.Debug("stopping the mappings watch", "err", err)
			}
		}()
		initial := true
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					if initial {
						initial = false
						close(loaded)
					}
					continue
				}
				tenant, uuid, ok := strings.Cut(e.Key(), ".")
				if !ok {
					continue
				}
				if e.Operation() != jetstream.KeyValuePut {
					f(tenant, uuid, nil)
					continue
				}
				m, err := decode(e)
				if err != nil {
					s.log.Error("an unreadable mapping is skipped", "tenant", tenant, "uuid", uuid, "err", err)
					continue
				}
				f(tenant, uuid, &m)
			}
		}
	}()
	select {
	case <-loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func decode(e jetstream.KeyValueEntry) (Mapping, error) {
	var m Mapping
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return Mapping{}, fmt.Errorf("mapping: decode %s: %w", e.Key(), err)
	}
	m.Revision = e.Revision()
	return m, nil
}

// validUUID accepts the form of the ids Create makes (lowercase hex and
// dashes), so a key built from one never holds a separator.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f':
		default:
			return false
		}
	}
	return true
}
