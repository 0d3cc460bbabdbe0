package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// tenantsBucket holds the tenants: name → Tenant.
const tenantsBucket = "tenants"

// Tenant is an isolated customer of the platform: its functions, keys,
// queues, buckets and usage are its own, its ARNs carry its account id.
type Tenant struct {
	Name      string    `json:"name"`
	AccountID string    `json:"accountId"`
	Created   time.Time `json:"created"`
	Quotas    fn.Quotas `json:"quotas"`
}

func (r *Registry) openTenants(ctx context.Context, kv func(context.Context, jetstream.KeyValueConfig) (jetstream.KeyValue, error)) error {
	b, err := kv(ctx, jetstream.KeyValueConfig{Bucket: tenantsBucket, Description: "tenants: name → account id, quotas", History: 1})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	r.tenants = b
	return nil
}

// EnsureTenants makes sure the default tenant exists, and every tenant an
// older version made keys for without a record.
func (r *Registry) EnsureTenants(ctx context.Context) error {
	names := map[string]bool{DefaultTenant: true}
	for _, bucket := range []string{apiKeysBucket, accessKeyBucket} {
		entries, err := kvEntries(ctx, r.js, bucket)
		if err != nil {
			return err
		}
		for _, v := range entries {
			var rec struct {
				Tenant string `json:"tenant"`
			}
			if json.Unmarshal(v, &rec) == nil && rec.Tenant != "" {
				names[rec.Tenant] = true
			}
		}
	}
	for name := range names {
		if _, err := r.CreateTenant(ctx, name); err != nil && !errors.Is(err, errTenantExists) {
			return err
		}
	}
	return nil
}

var errTenantExists = errors.New("tenant exists")

// CreateTenant adds a tenant; an existing one is a 409.
func (r *Registry) CreateTenant(ctx context.Context, name string) (*Tenant, error) {
	if err := fn.ValidateTenant(name); err != nil {
		return nil, err
	}
	t := &Tenant{Name: name, AccountID: fn.AccountID(name), Created: time.Now().UTC().Round(0)}
	data, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("registry: encode tenant: %w", err)
	}
	if _, err := r.tenants.Create(ctx, name, data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("%w: %w", errTenantExists, fn.Conflict("tenant %s already exists", name))
		}
		return nil, fmt.Errorf("registry: store tenant %s: %w", name, err)
	}
	return t, nil
}

// GetTenant returns a tenant; an unknown one is a 404.
func (r *Registry) GetTenant(ctx context.Context, name string) (*Tenant, error) {
	t, _, err := r.getTenant(ctx, name)
	return t, err
}

func (r *Registry) getTenant(ctx context.Context, name string) (*Tenant, uint64, error) {
	if err := fn.ValidateTenant(name); err != nil {
		return nil, 0, err
	}
	e, err := r.tenants.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, TenantNotFound(name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("registry: get tenant %s: %w", name, err)
	}
	t := new(Tenant)
	if err := json.Unmarshal(e.Value(), t); err != nil {
		return nil, 0, fmt.Errorf("registry: tenant record %s: %w", name, err)
	}
	return t, e.Revision(), nil
}

// TenantNotFound is the 404 of a tenant that does not exist.
func TenantNotFound(name string) *fn.Error {
	return fn.NotFound("tenant %s does not exist: create it with `updraft tenant create %s`", name, name)
}

// ListTenants returns every tenant by name.
func (r *Registry) ListTenants(ctx context.Context) ([]*Tenant, error) {
	entries, err := kvEntries(ctx, r.js, tenantsBucket)
	if err != nil {
		return nil, err
	}
	out := make([]*Tenant, 0, len(entries))
	for name, v := range entries {
		t := new(Tenant)
		if err := json.Unmarshal(v, t); err != nil {
			return nil, fmt.Errorf("registry: tenant record %s: %w", name, err)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// UpdateTenant applies change to a tenant under compare-and-set.
func (r *Registry) UpdateTenant(ctx context.Context, name string, change func(*Tenant) error) (*Tenant, error) {
	for {
		t, rev, err := r.getTenant(ctx, name)
		if err != nil {
			return nil, err
		}
		if err := change(t); err != nil {
			return nil, err
		}
		t.Name, t.AccountID = name, fn.AccountID(name)
		data, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("registry: encode tenant: %w", err)
		}
		_, err = r.tenants.Update(ctx, name, data, rev)
		if err == nil {
			r.setQuotas(name, t.Quotas)
			return t, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("registry: update tenant %s: %w", name, err)
		}
	}
}

// DeleteTenant removes a tenant's record and revokes all its keys. Its
// other resources are the caller's to delete first (control.DeleteTenant).
func (r *Registry) DeleteTenant(ctx context.Context, name string) error {
	if name == DefaultTenant {
		return fn.InvalidParameter("the default tenant holds the platform's admin keys and cannot be deleted")
	}
	if _, err := r.GetTenant(ctx, name); err != nil {
		return err
	}
	keys, err := r.ListKeys(ctx, name)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := r.RevokeKey(ctx, name, k.ID); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	if err := r.tenants.Delete(ctx, name); err != nil {
		return fmt.Errorf("registry: delete tenant %s: %w", name, err)
	}
	r.setQuotas(name, fn.Quotas{})
	return nil
}

// Quotas returns a tenant's quotas from memory (zero: none), as the
// admission path needs them on every call.
func (r *Registry) Quotas(tenant string) fn.Quotas {
	r.keysMu.RLock()
	defer r.keysMu.RUnlock()
	return r.quotas[tenant]
}

func (r *Registry) setQuotas(tenant string, q fn.Quotas) {
	r.keysMu.Lock()
	defer r.keysMu.Unlock()
	if q == (fn.Quotas{}) {
		delete(r.quotas, tenant)
		return
	}
	r.quotas[tenant] = q
}
