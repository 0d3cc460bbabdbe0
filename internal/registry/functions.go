package registry

import (
	"context"
	"fmt"
	"sort"

	"github.com/updraft-dev/updraft/internal/fn"
)

// GetFunction returns a copy of tenant's function name from the cache.
func (r *Registry) GetFunction(ctx context.Context, tenant, name string) (*fn.Function, error) {
	f, _ := r.cached(tenant, name)
	if f == nil {
		return nil, fn.FunctionNotFound(tenant, name)
	}
	return clone(f), nil
}

// Function is GetFunction without the copy, for the invoke path: the
// definition is shared and must not be modified (the cache replaces
// definitions, it never changes one).
func (r *Registry) Function(tenant, name string) (*fn.Function, error) {
	f, _ := r.cached(tenant, name)
	if f == nil {
		return nil, fn.FunctionNotFound(tenant, name)
	}
	return f, nil
}

// ListFunctions returns copies of tenant's functions, sorted by name.
func (r *Registry) ListFunctions(ctx context.Context, tenant string) ([]*fn.Function, error) {
	r.mu.RLock()
	var out []*fn.Function
	for _, e := range r.cache[tenant] {
		if e.f != nil {
			out = append(out, clone(e.f))
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PutFunction creates or replaces f's definition. It is stored as given
// (CodeChanged, a property of one deploy's reply, is not stored) and cached
// before PutFunction returns.
func (r *Registry) PutFunction(ctx context.Context, f *fn.Function) error {
	if f == nil {
		return fn.InvalidParameter("no function definition")
	}
	if err := fn.ValidateTenant(f.Tenant); err != nil {
		return err
	}
	if err := fn.ValidateName(f.Name); err != nil {
		return err
	}
	c := clone(f)
	c.CodeChanged = false
	data, err := r.encodeFunction(c)
	if err != nil {
		return fmt.Errorf("registry: encode function %s: %w", fn.Key(f.Tenant, f.Name), err)
	}
	rev, err := r.functions.Put(ctx, functionKey(c.Tenant, c.Name), data)
	if err != nil {
		return fmt.Errorf("registry: store function %s: %w", fn.Key(f.Tenant, f.Name), err)
	}
	r.setCached(c.Tenant, c.Name, c, rev)
	return nil
}

// DeleteFunction removes tenant's function name with its versions and
// aliases; its code objects stay until CollectCode finds nothing else
// references them (gc.go).
func (r *Registry) DeleteFunction(ctx context.Context, tenant, name string) error {
	f, rev := r.cached(tenant, name)
	if f == nil {
		return fn.FunctionNotFound(tenant, name)
	}
	if err := r.functions.Delete(ctx, functionKey(tenant, name)); err != nil {
		return fmt.Errorf("registry: delete function %s: %w", fn.Key(tenant, name), err)
	}
	// The delete's own revision is not returned; any later write has a
	// revision above rev, and the watcher will record the delete's.
	r.mu.Lock()
	if e := r.cache[tenant][name]; e != nil && e.rev == rev {
		r.cache[tenant][name] = &entry{rev: rev}
	}
	r.mu.Unlock()
	if f.URL != nil {
		if err := r.DeleteURL(ctx, f.URL.ID); err != nil {
			return err
		}
	}
	return r.deleteVersionsAndAliases(ctx, tenant, name)
}

// AllFunctions returns every tenant's functions (copies), from the cache.
func (r *Registry) AllFunctions() []*fn.Function {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*fn.Function
	for _, byName := range r.cache {
		for _, e := range byName {
			if e.f != nil {
				out = append(out, clone(e.f))
			}
		}
	}
	return out
}
