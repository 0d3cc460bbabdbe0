package daemon

import (
	"context"

	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
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
