package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Storage reports the store's bytes per stream and each tenant's share;
// tenant "" reports every tenant and every stream (the admin's view),
// another tenant only its own row. It reads the store, not the caches.
func (r *Registry) Storage(ctx context.Context, tenant string) (*fn.Storage, error) {
	refs, err := r.referencedCode(ctx)
	if err != nil {
		return nil, err
	}
	objs, err := r.code.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, fmt.Errorf("registry: list code objects: %w", err)
	}
	size := make(map[string]int64, len(objs))
	for _, o := range objs {
		size[o.Name] = int64(o.Size)
	}
	rows := map[string]*fn.TenantUsage{}
	row := func(t string) *fn.TenantUsage {
		if rows[t] == nil {
			rows[t] = &fn.TenantUsage{Tenant: t}
		}
		return rows[t]
	}
	if tenant != "" {
		row(tenant)
	}
	for t, shas := range refs.byTenant {
		u := row(t)
		for sha := range shas {
			if n, ok := size[sha]; ok {
				u.CodeObjects++
				u.CodeBytes += n
			}
		}
	}
	for t, n := range refs.functions {
		row(t).Functions = n
	}
	for t, n := range refs.versions {
		row(t).Versions = n
	}
	out := &fn.Storage{}
	lister := r.js.ListStreams(ctx)
	for si := range lister.Info() {
		name, kind := storeName(si.Config.Name)
		out.Stores = append(out.Stores, fn.StoreUsage{Name: name, Kind: kind, Bytes: si.State.Bytes, Messages: si.State.Msgs})
		if kind == "stream" {
			if err := r.tenantMessages(ctx, si, row); err != nil {
				return nil, err
			}
		}
	}
	if err := lister.Err(); err != nil {
		return nil, fmt.Errorf("registry: list streams: %w", err)
	}
	sort.Slice(out.Stores, func(i, j int) bool { return out.Stores[i].Name < out.Stores[j].Name })
	for t, u := range rows {
		if tenant == "" || t == tenant {
			out.Tenants = append(out.Tenants, *u)
		}
	}
	sort.Slice(out.Tenants, func(i, j int) bool { return out.Tenants[i].Tenant < out.Tenants[j].Tenant })
	if tenant != "" {
		out.Stores = nil // the totals are everyone's
	}
	return out, nil
}

// tenantMessages counts a stream's messages per tenant when its subjects
// are "<prefix>.>" with the tenant as the second token (logs, usage,
// queues).
func (r *Registry) tenantMessages(ctx context.Context, si *jetstream.StreamInfo, row func(string) *fn.TenantUsage) error {
	if si.State.Msgs == 0 {
		return nil
	}
	for _, sub := range si.Config.Subjects {
		if !strings.HasSuffix(sub, ".>") {
			return nil
		}
	}
	s, err := r.js.Stream(ctx, si.Config.Name)
	if err != nil {
		return fmt.Errorf("registry: stream %s: %w", si.Config.Name, err)
	}
	for _, sub := range si.Config.Subjects {
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(sub))
		if err != nil {
			return fmt.Errorf("registry: stream %s subjects: %w", si.Config.Name, err)
		}
		for subj, n := range info.State.Subjects {
			parts := strings.SplitN(subj, ".", 3)
			if len(parts) < 3 || fn.ValidateTenant(parts[1]) != nil {
				continue
			}
			u := row(parts[1])
			if u.Messages == nil {
				u.Messages = map[string]uint64{}
			}
			u.Messages[si.Config.Name] += n
		}
	}
	return nil
}

// storeName turns a stream name into the store's name and kind.
func storeName(stream string) (name, kind string) {
	if b, ok := strings.CutPrefix(stream, "KV_"); ok {
		return b, "kv"
	}
	if b, ok := strings.CutPrefix(stream, "OBJ_"); ok {
		return b, "objects"
	}
	return stream, "stream"
}
