package control

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
)

// TenantResources is one kind of resource a tenant owns (functions,
// queues, topics, buckets, tables, …), so that deleting a tenant can refuse
// while it owns any, or with force delete them all. The daemon registers
// each kind with RegisterTenantResources.
type TenantResources interface {
	// Kind names the resources in messages ("queues").
	Kind() string
	Count(ctx context.Context, tenant string) (int, error)
	DeleteAll(ctx context.Context, tenant string) error
}

// RegisterTenantResources adds a kind of resource. Call before Start.
func (c *Control) RegisterTenantResources(r TenantResources) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tenantRes = append(c.tenantRes, r)
}

// DeleteTenant deletes a tenant and revokes its keys. Without force it
// refuses (409) while the tenant owns resources, naming them; with force
// it deletes them all first (functions first, so nothing runs on what
// goes next).
func (c *Control) DeleteTenant(ctx context.Context, name string, force bool) error {
	if _, err := c.reg.GetTenant(ctx, name); err != nil {
		return err
	}
	c.mu.Lock()
	kinds := append([]TenantResources{functionResources{c}}, c.tenantRes...)
	c.mu.Unlock()
	if !force {
		var owned []string
		for _, k := range kinds {
			n, err := k.Count(ctx, name)
			if err != nil {
				return err
			}
			if n > 0 {
				owned = append(owned, fmt.Sprintf("%d %s", n, k.Kind()))
			}
		}
		if len(owned) > 0 {
			sort.Strings(owned)
			return fn.Conflict("tenant %s still owns %s: delete them first, or delete the tenant with everything it owns (--force)",
				name, strings.Join(owned, ", "))
		}
	}
	for _, k := range kinds {
		if err := k.DeleteAll(ctx, name); err != nil {
			return fmt.Errorf("control: delete %s of tenant %s: %w", k.Kind(), name, err)
		}
	}
	return c.reg.DeleteTenant(ctx, name)
}

// functionResources are a tenant's functions.
type functionResources struct{ c *Control }

func (functionResources) Kind() string { return "functions" }

func (f functionResources) Count(ctx context.Context, tenant string) (int, error) {
	fs, err := f.c.reg.ListFunctions(ctx, tenant)
	return len(fs), err
}

func (f functionResources) DeleteAll(ctx context.Context, tenant string) error {
	fs, err := f.c.reg.ListFunctions(ctx, tenant)
	if err != nil {
		return err
	}
	for _, x := range fs {
		if err := f.c.Delete(ctx, tenant, x.Name); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// checkStored refuses a deploy that would take the tenant's stored code
// past its quota (429, reason TenantQuotaExceeded). The function's own
// current code does not count: the deploy replaces it.
func (c *Control) checkStored(ctx context.Context, tenant string, req deploy.Request) error {
	limit := c.reg.Quotas(tenant).MaxStoredBytes
	if limit == 0 {
		return nil
	}
	fs, err := c.reg.ListFunctions(ctx, tenant)
	if err != nil {
		return err
	}
	total := int64(len(req.Zip))
	for _, f := range fs {
		if f.Name != req.Name {
			total += f.CodeSize
		}
	}
	if total > limit {
		return fn.QuotaExceeded("the account would store %d bytes of code, its quota is %d: delete unused functions or ask the platform's administrator to raise it", total, limit)
	}
	return nil
}
