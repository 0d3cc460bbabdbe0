package tables

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Info is a table's definition with its live figures.
type Info struct {
	Table
	ItemCount int
	SizeBytes int64
}

// Create stores a new table definition.
func (s *Store) Create(ctx context.Context, t Table) (Info, error) {
	if err := t.validate(); err != nil {
		return Info{}, err
	}
	t.ID = strings.ToLower(nuid.Next())
	t.Created = now().UTC()
	if t.StreamView != "" {
		t.StreamLabel = newLabel(t.Created)
	}
	data, _ := json.Marshal(t)
	rev, err := s.meta.Create(ctx, defKey(t.Tenant, t.Name), data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return Info{}, tableInUse(t.Name)
	} else if err != nil {
		return Info{}, fmt.Errorf("tables: create %s: %w", t.Name, err)
	}
	s.setDef(&t, rev)
	return Info{Table: t}, nil
}

// Describe returns tenant's table name with its item count and size.
func (s *Store) Describe(_ context.Context, tenant, name string) (Info, error) {
	t, x, err := s.table(tenant, name)
	if err != nil {
		return Info{}, err
	}
	n, b := x.stats()
	return Info{Table: *t, ItemCount: n, SizeBytes: b}, nil
}

// List returns tenant's table names in order.
func (s *Store) List(_ context.Context, tenant string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, d := range s.defs {
		if d.t.Tenant == tenant {
			out = append(out, d.t.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Delete removes tenant's table and every item and record of it.
func (s *Store) Delete(ctx context.Context, tenant, name string) (Info, error) {
	info, err := s.Describe(ctx, tenant, name)
	if err != nil {
		return Info{}, err
	}
	if err := s.meta.Purge(ctx, defKey(tenant, name)); err != nil {
		return Info{}, fmt.Errorf("tables: delete %s: %w", name, err)
	}
	s.mu.Lock()
	delete(s.defs, defKey(tenant, name))
	s.mu.Unlock()
	if err := s.data.Purge(ctx, jetstream.WithPurgeSubject("tbl."+info.ID+".>")); err != nil {
		return Info{}, fmt.Errorf("tables: delete the items of %s: %w", name, err)
	}
	s.mu.Lock()
	delete(s.indexes, info.ID)
	s.mu.Unlock()
	return info, nil
}

// update changes tenant's table definition with change, atomically
// against other updates.
func (s *Store) update(ctx context.Context, tenant, name string, change func(t *Table) error) (Info, error) {
	for range 10 {
		e, err := s.meta.Get(ctx, defKey(tenant, name))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Info{}, tableNotFound(name)
		} else if err != nil {
			return Info{}, fmt.Errorf("tables: read %s: %w", name, err)
		}
		var t Table
		if err := json.Unmarshal(e.Value(), &t); err != nil {
			return Info{}, fmt.Errorf("tables: definition of %s: %w", name, err)
		}
		if err := change(&t); err != nil {
			return Info{}, err
		}
		data, _ := json.Marshal(t)
		rev, err := s.meta.Update(ctx, defKey(tenant, name), data, e.Revision())
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // changed meanwhile: again
		} else if err != nil {
			return Info{}, fmt.Errorf("tables: update %s: %w", name, err)
		}
		s.setDef(&t, rev)
		return s.Describe(ctx, tenant, name)
	}
	return Info{}, conflict("the table " + name)
}

// SetStream turns the table's stream on (view) or off ("").
func (s *Store) SetStream(ctx context.Context, tenant, name, view string) (Info, error) {
	if view != "" {
		if err := CheckView(view); err != nil {
			return Info{}, err
		}
	}
	return s.update(ctx, tenant, name, func(t *Table) error {
		switch {
		case view == "" && t.StreamView == "":
			return validation("Table already has streams disabled: %s", name)
		case view != "" && t.StreamView != "":
			return validation("Table already has an enabled stream: %s", t.StreamARN())
		}
		t.StreamView = view
		if view != "" {
			t.StreamLabel = newLabel(now())
		}
		return nil
	})
}

// SetTTL turns time to live on (attribute) or off ("").
func (s *Store) SetTTL(ctx context.Context, tenant, name, attribute string, enabled bool) (Info, error) {
	info, err := s.update(ctx, tenant, name, func(t *Table) error {
		switch {
		case enabled && t.TTLAttribute != "":
			return validation("TimeToLive is already enabled")
		case !enabled && t.TTLAttribute == "":
			return validation("TimeToLive is already disabled")
		case attribute == "":
			return validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
		case !enabled && attribute != t.TTLAttribute:
			return validation("TimeToLive attribute name %s does not match the enabled one, %s", attribute, t.TTLAttribute)
		}
		if enabled {
			t.TTLAttribute = attribute
		} else {
			t.TTLAttribute = ""
		}
		return nil
	})
	if err != nil || !enabled {
		return info, err
	}
	return info, s.indexTTL(ctx, &info.Table)
}
