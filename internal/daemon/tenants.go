package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/mail"
	"github.com/updraft-dev/updraft/internal/objects"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/tables"
	"github.com/updraft-dev/updraft/internal/topic"
)

// queueResources are a tenant's queues and event source mappings, for
// deleting a tenant.
type queueResources struct {
	q    *queue.Manager
	maps *control.Mappings
}

func (queueResources) Kind() string { return "queues" }

func (r queueResources) Count(ctx context.Context, tenant string) (int, error) {
	ids, err := r.q.List(ctx, tenant, "")
	return len(ids), err
}

func (r queueResources) DeleteAll(ctx context.Context, tenant string) error {
	ms, err := r.maps.ListMappings(ctx, tenant, "", "", "")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := r.maps.DeleteMapping(ctx, tenant, m.UUID); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	ids, err := r.q.List(ctx, tenant, "")
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := r.q.Delete(ctx, id); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// topicResources are a tenant's topics (their subscriptions go with them).
type topicResources struct{ s *topic.Service }

func (topicResources) Kind() string { return "topics" }

func (r topicResources) Count(ctx context.Context, tenant string) (int, error) {
	ts, err := r.s.ListTopics(ctx, tenant)
	return len(ts), err
}

func (r topicResources) DeleteAll(ctx context.Context, tenant string) error {
	ts, err := r.s.ListTopics(ctx, tenant)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := r.s.DeleteTopic(ctx, tenant, t.ARN); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

var (
	_ control.TenantResources = queueResources{}
	_ control.TenantResources = topicResources{}
)

// tableResources are a tenant's tables (their items and streams go with
// them).
type tableResources struct{ s *tables.Store }

func (tableResources) Kind() string { return "tables" }

func (r tableResources) Count(_ context.Context, tenant string) (int, error) {
	return len(r.s.List(context.Background(), tenant)), nil
}

func (r tableResources) DeleteAll(ctx context.Context, tenant string) error {
	for _, name := range r.s.List(ctx, tenant) {
		if _, err := r.s.Delete(ctx, tenant, name); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// mailResources are a tenant's mail routes.
type mailResources struct{ s *mail.Service }

func (mailResources) Kind() string { return "mail routes" }

func (r mailResources) Count(ctx context.Context, tenant string) (int, error) {
	rs, err := r.s.ListRoutes(ctx, tenant)
	return len(rs), err
}

func (r mailResources) DeleteAll(ctx context.Context, tenant string) error {
	rs, err := r.s.ListRoutes(ctx, tenant)
	if err != nil {
		return err
	}
	for _, x := range rs {
		if err := r.s.RemoveRoute(ctx, tenant, x.Recipient); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// bucketResources are a tenant's buckets with their objects and uploads.
type bucketResources struct{ s *objects.Service }

func (bucketResources) Kind() string { return "buckets" }

func (r bucketResources) Count(ctx context.Context, tenant string) (int, error) {
	return len(r.s.Buckets(ctx, tenant)), nil
}

func (r bucketResources) DeleteAll(ctx context.Context, tenant string) error {
	for _, b := range r.s.Buckets(ctx, tenant) {
		uploads, err := r.s.Uploads(ctx, tenant, b.Name)
		if err != nil {
			return err
		}
		for _, u := range uploads {
			if err := r.s.Abort(ctx, tenant, b.Name, u.Key, u.ID); err != nil && !fn.IsNotFound(err) {
				return err
			}
		}
		for {
			page, err := r.s.List(ctx, tenant, b.Name, objects.ListInput{MaxKeys: 1000})
			if err != nil {
				return err
			}
			for _, o := range page.Objects {
				if err := r.s.Delete(ctx, tenant, b.Name, o.Key, objects.Caller{PrincipalID: "updraft"}); err != nil && !fn.IsNotFound(err) {
					return err
				}
			}
			if !page.Truncated {
				break
			}
		}
		if err := r.s.DeleteBucket(ctx, tenant, b.Name); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}
