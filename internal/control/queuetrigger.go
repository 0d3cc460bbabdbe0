package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/mapping"
	"github.com/updraft-dev/updraft/internal/queue"
)

// Queue triggers in updraft.yaml: an event source mapping from a queue to
// the function, kept as declared.
//
//	triggers:
//	  - type: queue
//	    queue: orders            # name or arn:aws:sqs:…
//	    batch_size: 10           # optional, 1–10000 (default 10)
//	    batch_window: 0          # optional, MaximumBatchingWindowInSeconds
//	    report_failures: true    # optional, ReportBatchItemFailures
//	    max_concurrency: 5       # optional, ScalingConfig.MaximumConcurrency
//	    enabled: true            # optional
//	    qualifier: live          # optional, a version or alias

// mappingOwnerYAML marks mappings declared by updraft.yaml.
const mappingOwnerYAML = "yaml"

// queueTrigger is one `type: queue` entry.
type queueTrigger struct {
	Type           string `json:"type"`
	Queue          string `json:"queue"`
	BatchSize      *int   `json:"batch_size"`
	BatchWindow    *int   `json:"batch_window"`
	ReportFailures bool   `json:"report_failures"`
	MaxConcurrency *int   `json:"max_concurrency"`
	Enabled        *bool  `json:"enabled"`
	Qualifier      string `json:"qualifier"`
}

// QueueTriggers is the TriggerKind of `type: queue`.
type QueueTriggers struct{ m *Mappings }

// QueueTriggers returns the `type: queue` trigger kind over the mappings.
func (c *Mappings) QueueTriggers() *QueueTriggers { return &QueueTriggers{m: c} }

var _ TriggerKind = (*QueueTriggers)(nil)

func decodeQueueTriggers(tenant string, specs []json.RawMessage) ([]queueTrigger, error) {
	out := make([]queueTrigger, 0, len(specs))
	seen := map[string]bool{}
	for _, raw := range specs {
		var t queueTrigger
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fn.InvalidParameter("a queue trigger: %v (fields: queue, batch_size, batch_window, report_failures, max_concurrency, enabled, qualifier)", err)
		}
		if t.Queue == "" {
			return nil, fn.InvalidParameter("a queue trigger has no queue: name the queue that feeds the function")
		}
		if !strings.HasPrefix(t.Queue, "arn:") {
			t.Queue = mapping.QueueARN(tenant, t.Queue)
		}
		key := t.Queue + "|" + t.Qualifier
		if seen[key] {
			return nil, fn.InvalidParameter("queue %s is listed twice as a trigger", t.Queue)
		}
		seen[key] = true
		out = append(out, t)
	}
	return out, nil
}

func (t queueTrigger) spec(function string) MappingSpec {
	s := MappingSpec{EventSourceARN: t.Queue, Function: function, Qualifier: t.Qualifier,
		BatchSize: t.BatchSize, WindowSeconds: t.BatchWindow, MaxConcurrency: t.MaxConcurrency, Enabled: t.Enabled}
	types := []string{}
	if t.ReportFailures {
		types = []string{mapping.ReportBatchItemFailures}
	}
	s.ResponseTypes = &types
	return s
}

// Check validates the entries and that their queues exist.
func (k *QueueTriggers) Check(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	ts, err := decodeQueueTriggers(f.Tenant, specs)
	if err != nil {
		return err
	}
	for _, t := range ts {
		name, err := mapping.ParseQueueARN(f.Tenant, t.Queue)
		if err != nil {
			return err
		}
		m := mapping.Mapping{Tenant: f.Tenant, Queue: name, Function: f.Name, BatchSize: mapping.DefaultBatchSize, Enabled: true}
		if err := apply(&m, t.spec(f.Name)); err != nil {
			return err
		}
		if err := m.Validate(); err != nil {
			return err
		}
		if _, err := k.m.q.Get(ctx, m.QueueID()); errors.Is(err, queue.ErrNotFound) {
			return mapping.QueueMissing(t.Queue)
		} else if err != nil {
			return fmt.Errorf("control: queue of a trigger: %w", err)
		}
	}
	return nil
}

// Apply creates or updates the declared mappings and deletes the ones an
// earlier deploy declared that this one does not.
func (k *QueueTriggers) Apply(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	ts, err := decodeQueueTriggers(f.Tenant, specs)
	if err != nil {
		return err
	}
	existing, err := k.m.store.List(ctx, f.Tenant)
	if err != nil {
		return err
	}
	want := map[string]queueTrigger{}
	for _, t := range ts {
		name, err := mapping.ParseQueueARN(f.Tenant, t.Queue)
		if err != nil {
			return err
		}
		want[name+"|"+t.Qualifier] = t
	}
	for _, m := range existing {
		if m.Function != f.Name {
			continue
		}
		t, ok := want[m.Queue+"|"+m.Qualifier]
		switch {
		case ok:
			delete(want, m.Queue+"|"+m.Qualifier)
			spec := t.spec("")
			if _, err := k.m.store.Update(ctx, f.Tenant, m.UUID, func(m *mapping.Mapping) error {
				m.Owner = mappingOwnerYAML
				return apply(m, spec)
			}); err != nil {
				return err
			}
		case m.Owner == mappingOwnerYAML:
			if _, err := k.m.DeleteMapping(ctx, f.Tenant, m.UUID); err != nil && !fn.IsNotFound(err) {
				return err
			}
		}
	}
	for _, t := range want {
		v, err := k.m.CreateMapping(ctx, f.Tenant, t.spec(f.Name))
		if err != nil {
			return err
		}
		if _, err := k.m.store.Update(ctx, f.Tenant, v.UUID, func(m *mapping.Mapping) error {
			m.Owner = mappingOwnerYAML
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the declared mappings of a deleted function.
func (k *QueueTriggers) Remove(ctx context.Context, tenant, function string) error {
	existing, err := k.m.store.List(ctx, tenant)
	if err != nil {
		return err
	}
	for _, m := range existing {
		if m.Function == function && m.Owner == mappingOwnerYAML {
			if _, err := k.m.DeleteMapping(ctx, tenant, m.UUID); err != nil && !fn.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}
