package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

const eventConfigBucket = "eventconfig"

// EventConfigs persists each function qualifier's fn.EventInvokeConfig in
// its own KV bucket (key <tenant>.<name>.<qualifier>, $LATEST as
// "=latest"), apart from the function so that a redeploy keeps it.
type EventConfigs struct {
	kv jetstream.KeyValue
}

// NewEventConfigs opens the bucket.
func NewEventConfigs(ctx context.Context, st *store.Store) (*EventConfigs, error) {
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: eventConfigBucket, Description: "asynchronous invocation settings, key <tenant>.<name>.<qualifier>", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &EventConfigs{kv: kv}, nil
}

func eventConfigKey(tenant, name, q string) string {
	if q == "" || q == fn.LatestVersion {
		q = "=latest"
	}
	return tenant + "." + name + "." + q
}

// Get returns the configuration of tenant's function name at qualifier q
// ("" is $LATEST), or nil when none is set.
func (e *EventConfigs) Get(ctx context.Context, tenant, name, q string) (*fn.EventInvokeConfig, error) {
	entry, err := e.kv.Get(ctx, eventConfigKey(tenant, name, q))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("registry: event invoke config of %s: %w", fn.Key(tenant, name), err)
	}
	var c fn.EventInvokeConfig
	if err := json.Unmarshal(entry.Value(), &c); err != nil {
		return nil, fmt.Errorf("registry: event invoke config of %s: %w", fn.Key(tenant, name), err)
	}
	return &c, nil
}

// Put stores c under its tenant, function and qualifier.
func (e *EventConfigs) Put(ctx context.Context, c *fn.EventInvokeConfig) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("registry: encode event invoke config: %w", err)
	}
	if _, err := e.kv.Put(ctx, eventConfigKey(c.Tenant, c.Function, c.Qualifier), data); err != nil {
		return fmt.Errorf("registry: store event invoke config of %s: %w", fn.Key(c.Tenant, c.Function), err)
	}
	return nil
}

// Delete removes one configuration; deleting a missing one is not an error.
func (e *EventConfigs) Delete(ctx context.Context, tenant, name, q string) error {
	if err := e.kv.Purge(ctx, eventConfigKey(tenant, name, q)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("registry: delete event invoke config of %s: %w", fn.Key(tenant, name), err)
	}
	return nil
}

// List returns the function's configurations, every qualifier's, sorted
// by qualifier.
func (e *EventConfigs) List(ctx context.Context, tenant, name string) ([]*fn.EventInvokeConfig, error) {
	lister, err := e.kv.ListKeysFiltered(ctx, tenant+"."+name+".*")
	if err != nil {
		return nil, fmt.Errorf("registry: list event invoke configs: %w", err)
	}
	var out []*fn.EventInvokeConfig
	for k := range lister.Keys() {
		entry, err := e.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("registry: event invoke config %s: %w", k, err)
		}
		var c fn.EventInvokeConfig
		if err := json.Unmarshal(entry.Value(), &c); err != nil {
			return nil, fmt.Errorf("registry: event invoke config %s: %w", k, err)
		}
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Qualifier < out[j].Qualifier })
	return out, nil
}

// DeleteFunction removes every configuration of a deleted function.
func (e *EventConfigs) DeleteFunction(ctx context.Context, tenant, name string) error {
	cs, err := e.List(ctx, tenant, name)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := e.Delete(ctx, tenant, name, c.Qualifier); err != nil {
			return err
		}
	}
	return nil
}
