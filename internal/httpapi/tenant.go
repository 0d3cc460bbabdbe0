package httpapi

import (
	"context"
	"fmt"
)

// TenantRoutes is a tenant's routes, route API keys and API-wide
// settings as one kind of tenant resource (control.TenantResources):
// deleting a tenant refuses while it has any, or with force deletes them.
type TenantRoutes struct{ s *Service }

// Tenants returns the tenant-resources view of s.
func (s *Service) Tenants() TenantRoutes { return TenantRoutes{s} }

// Kind names the resources in messages.
func (TenantRoutes) Kind() string { return "HTTP routes and route keys" }

// Count is how many routes and route API keys tenant has.
func (t TenantRoutes) Count(ctx context.Context, tenant string) (int, error) {
	routes, err := t.s.List(ctx, tenant)
	if err != nil {
		return 0, err
	}
	return len(routes) + len(t.s.ListKeys(tenant)), nil
}

// DeleteAll removes tenant's routes, route API keys and API settings.
func (t TenantRoutes) DeleteAll(ctx context.Context, tenant string) error {
	routes, err := t.s.List(ctx, tenant)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if err := t.s.routes.Purge(ctx, routeKV(tenant, r.Key)); err != nil {
			return fmt.Errorf("httpapi: delete route %s of %s: %w", r.Key, tenant, err)
		}
	}
	for _, k := range t.s.ListKeys(tenant) {
		if err := t.s.DeleteKey(ctx, tenant, k.ID); err != nil {
			return err
		}
	}
	if err := t.s.routes.Purge(ctx, apiPrefix+tenant); err != nil {
		return fmt.Errorf("httpapi: delete the API settings of %s: %w", tenant, err)
	}
	return nil
}
