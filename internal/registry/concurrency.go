package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

const concurrencyBucket = "concurrency"

// Concurrency persists each function's fn.Concurrency in its own KV bucket
// (key <tenant>.<name>), apart from the function definition so that a
// redeploy never resets it.
type Concurrency struct {
	kv jetstream.KeyValue
}

// NewConcurrency opens the bucket.
func NewConcurrency(ctx context.Context, st *store.Store) (*Concurrency, error) {
	kv, err := st.KV(ctx, jetstream.KeyValueConfig{
		Bucket: concurrencyBucket, Description: "per-function concurrency, key <tenant>.<name>", History: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Concurrency{kv: kv}, nil
}

// Put stores tenant's function name's configuration.
func (c *Concurrency) Put(ctx context.Context, tenant, name string, cc fn.Concurrency) error {
	data, err := json.Marshal(cc)
	if err != nil {
		return fmt.Errorf("registry: encode concurrency of %s: %w", fn.Key(tenant, name), err)
	}
	if _, err := c.kv.Put(ctx, functionKey(tenant, name), data); err != nil {
		return fmt.Errorf("registry: store concurrency of %s: %w", fn.Key(tenant, name), err)
	}
	return nil
}

// Delete removes a configuration; deleting a missing one is not an error.
func (c *Concurrency) Delete(ctx context.Context, tenant, name string) error {
	if err := c.kv.Delete(ctx, functionKey(tenant, name)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("registry: delete concurrency of %s: %w", fn.Key(tenant, name), err)
	}
	return nil
}

// All returns every stored configuration keyed by fn.Key(tenant, name).
func (c *Concurrency) All(ctx context.Context) (map[string]fn.Concurrency, error) {
	out := map[string]fn.Concurrency{}
	lister, err := c.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("registry: list concurrency: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		e, err := c.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registry: get concurrency %s: %w", k, err)
		}
		var cc fn.Concurrency
		if err := json.Unmarshal(e.Value(), &cc); err != nil {
			continue
		}
		tenant, name, _ := strings.Cut(k, ".")
		out[fn.Key(tenant, name)] = cc
	}
	return out, nil
}
