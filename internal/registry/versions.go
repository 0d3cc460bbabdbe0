package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Published versions (immutable snapshots of a function) and aliases, each
// in its own KV bucket under <tenant>.<function>.<version or alias>.

func versionKey(tenant, name, v string) string { return tenant + "." + name + "." + v }

// PutVersion stores the snapshot f (f.Version set). A version is written
// once: storing an existing one is a 409.
func (r *Registry) PutVersion(ctx context.Context, f *fn.Function) error {
	if !fn.IsVersionNumber(f.Version) {
		return fmt.Errorf("registry: version %q is not a version number", f.Version)
	}
	data, err := r.encodeFunction(f)
	if err != nil {
		return fmt.Errorf("registry: encode version: %w", err)
	}
	key := versionKey(f.Tenant, f.Name, f.Version)
	if _, err := r.versions.Create(ctx, key, data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fn.Errorf(http.StatusConflict, fn.TypeResourceConflict, "version %s of %s exists already", f.Version, f.Name)
		}
		return fmt.Errorf("registry: store version %s: %w", key, err)
	}
	r.versionMu.Lock()
	r.versionCache[key] = clone(f)
	r.versionMu.Unlock()
	return nil
}

// GetVersion returns published version v of tenant's function name.
func (r *Registry) GetVersion(ctx context.Context, tenant, name, v string) (*fn.Function, error) {
	key := versionKey(tenant, name, v)
	r.versionMu.RLock()
	f := r.versionCache[key]
	r.versionMu.RUnlock()
	if f != nil {
		return clone(f), nil
	}
	if !fn.IsVersionNumber(v) {
		return nil, fn.NotFound("Function not found: %s", fn.ARN(tenant, name, v))
	}
	e, err := r.versions.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fn.NotFound("Function not found: %s (no such version)", fn.ARN(tenant, name, v))
	}
	if err != nil {
		return nil, fmt.Errorf("registry: read version %s: %w", key, err)
	}
	f = new(fn.Function)
	if err := r.decodeFunction(e.Value(), f); err != nil {
		return nil, fmt.Errorf("registry: decode version %s: %w", key, err)
	}
	r.versionMu.Lock()
	r.versionCache[key] = f
	r.versionMu.Unlock()
	return clone(f), nil
}

// ListVersions returns the published versions of a function, oldest first.
func (r *Registry) ListVersions(ctx context.Context, tenant, name string) ([]*fn.Function, error) {
	keys, err := r.keysUnder(ctx, r.versions, tenant, name)
	if err != nil {
		return nil, err
	}
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(keys[i][strings.LastIndexByte(keys[i], '.')+1:])
		b, _ := strconv.Atoi(keys[j][strings.LastIndexByte(keys[j], '.')+1:])
		return a < b
	})
	out := make([]*fn.Function, 0, len(keys))
	for _, k := range keys {
		f, err := r.GetVersion(ctx, tenant, name, k[strings.LastIndexByte(k, '.')+1:])
		if fn.IsNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// keysUnder lists the keys of kv under <tenant>.<name>.
func (r *Registry) keysUnder(ctx context.Context, kv jetstream.KeyValue, tenant, name string) ([]string, error) {
	lister, err := kv.ListKeysFiltered(ctx, tenant+"."+name+".*")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("registry: list %s: %w", kv.Bucket(), err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

// PutAlias creates (create true: 409 if it exists) or replaces an alias.
func (r *Registry) PutAlias(ctx context.Context, a *fn.Alias, create bool) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("registry: encode alias: %w", err)
	}
	key := versionKey(a.Tenant, a.Function, a.Name)
	if create {
		_, err = r.aliases.Create(ctx, key, data)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fn.Errorf(http.StatusConflict, fn.TypeResourceConflict, "Alias already exists: %s", fn.ARN(a.Tenant, a.Function, a.Name))
		}
	} else {
		_, err = r.aliases.Put(ctx, key, data)
	}
	if err != nil {
		return fmt.Errorf("registry: store alias %s: %w", key, err)
	}
	return nil
}

// GetAlias returns an alias of tenant's function name.
func (r *Registry) GetAlias(ctx context.Context, tenant, name, alias string) (*fn.Alias, error) {
	if fn.ValidateAliasName(alias) != nil {
		return nil, fn.NotFound("Alias not found: %s", fn.ARN(tenant, name, alias))
	}
	e, err := r.aliases.Get(ctx, versionKey(tenant, name, alias))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fn.NotFound("Alias not found: %s", fn.ARN(tenant, name, alias))
	}
	if err != nil {
		return nil, fmt.Errorf("registry: read alias: %w", err)
	}
	a := new(fn.Alias)
	if err := json.Unmarshal(e.Value(), a); err != nil {
		return nil, fmt.Errorf("registry: decode alias: %w", err)
	}
	return a, nil
}

// ListAliases returns a function's aliases sorted by name.
func (r *Registry) ListAliases(ctx context.Context, tenant, name string) ([]*fn.Alias, error) {
	keys, err := r.keysUnder(ctx, r.aliases, tenant, name)
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	out := make([]*fn.Alias, 0, len(keys))
	for _, k := range keys {
		a, err := r.GetAlias(ctx, tenant, name, k[strings.LastIndexByte(k, '.')+1:])
		if fn.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// DeleteAlias removes an alias; an unknown one is a 404.
func (r *Registry) DeleteAlias(ctx context.Context, tenant, name, alias string) error {
	if _, err := r.GetAlias(ctx, tenant, name, alias); err != nil {
		return err
	}
	if err := r.aliases.Delete(ctx, versionKey(tenant, name, alias)); err != nil {
		return fmt.Errorf("registry: delete alias: %w", err)
	}
	return nil
}

// deleteVersionsAndAliases removes what hangs off a deleted function.
func (r *Registry) deleteVersionsAndAliases(ctx context.Context, tenant, name string) error {
	for _, kv := range []jetstream.KeyValue{r.versions, r.aliases} {
		keys, err := r.keysUnder(ctx, kv, tenant, name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := kv.Delete(ctx, k); err != nil {
				return fmt.Errorf("registry: delete %s: %w", k, err)
			}
			r.versionMu.Lock()
			delete(r.versionCache, k)
			r.versionMu.Unlock()
		}
	}
	return nil
}

// DeleteVersion removes published version v; an unknown one is a 404.
func (r *Registry) DeleteVersion(ctx context.Context, tenant, name, v string) error {
	if _, err := r.GetVersion(ctx, tenant, name, v); err != nil {
		return err
	}
	key := versionKey(tenant, name, v)
	if err := r.versions.Delete(ctx, key); err != nil {
		return fmt.Errorf("registry: delete version %s: %w", key, err)
	}
	r.versionMu.Lock()
	delete(r.versionCache, key)
	r.versionMu.Unlock()
	return nil
}
