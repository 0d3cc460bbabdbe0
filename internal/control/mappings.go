package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/mapping"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
)

// Mappings runs the management sequences of event source mappings (queue
// → function): check the function and the queue exist in the tenant, then
// store the definition; every node's mapping.Runner picks it up from the
// store.
type Mappings struct {
	reg   *registry.Registry
	q     *queue.Manager
	store *mapping.Store
	run   *mapping.Runner
	// streams resolves table stream sources (nil until SetStreams).
	streams mapping.Streams
}

// NewMappings wires the sequences over the registry, the queues, the
// mapping store and this node's runner (which reports states).
func NewMappings(reg *registry.Registry, q *queue.Manager, s *mapping.Store, run *mapping.Runner) *Mappings {
	return &Mappings{reg: reg, q: q, store: s, run: run}
}

// MappingSpec is a create or an update: nil fields are unset (create:
// the default; update: unchanged).
type MappingSpec struct {
	EventSourceARN string // create only
	// Function and Qualifier come from FunctionName; Function "" leaves
	// an update's function unchanged.
	Function  string
	Qualifier string
	BatchSize *int
	// WindowSeconds is MaximumBatchingWindowInSeconds.
	WindowSeconds *int
	// ResponseTypes is FunctionResponseTypes ([] clears it).
	ResponseTypes *[]string
	// MaxConcurrency is ScalingConfig.MaximumConcurrency (0 clears it).
	MaxConcurrency *int
	Enabled        *bool
	// Stream sources only: StartingPosition (create only),
	// MaximumRetryAttempts, MaximumRecordAgeInSeconds,
	// BisectBatchOnFunctionError and DestinationConfig.OnFailure.
	StartingPosition string
	MaxRetries       *int
	MaxRecordAge     *int
	Bisect           *bool
	OnFailure        *string
}

// MappingView is a mapping with its state on this node.
type MappingView struct {
	mapping.Mapping
	State      string
	LastResult string
}

func (c *Mappings) view(m mapping.Mapping) MappingView {
	return MappingView{Mapping: m, State: c.run.State(&m), LastResult: c.run.LastResult(&m)}
}

// CreateMapping checks that the function and the queue exist in tenant and
// that no mapping joins them yet, then stores the mapping.
func (c *Mappings) CreateMapping(ctx context.Context, tenant string, spec MappingSpec) (MappingView, error) {
	if spec.EventSourceARN == "" {
		return MappingView{}, fn.InvalidParameter("EventSourceArn is missing: name the queue as arn:aws:sqs:%s:%s:QUEUE", fn.Region, fn.AccountID(tenant))
	}
	if spec.Function == "" {
		return MappingView{}, fn.InvalidParameter("FunctionName is missing: name the function the queue feeds")
	}
	if mapping.IsStreamARN(spec.EventSourceARN) {
		return c.createStreamMapping(ctx, tenant, spec)
	}
	name, err := mapping.ParseQueueARN(tenant, spec.EventSourceARN)
	if err != nil {
		return MappingView{}, err
	}
	m := mapping.Mapping{Tenant: tenant, Queue: name, BatchSize: mapping.DefaultBatchSize, Enabled: true}
	if err := apply(&m, spec); err != nil {
		return MappingView{}, err
	}
	if err := m.Validate(); err != nil {
		return MappingView{}, err
	}
	if err := c.checkFunction(ctx, tenant, m.Function, m.Qualifier); err != nil {
		return MappingView{}, err
	}
	if _, err := c.q.Get(ctx, m.QueueID()); errors.Is(err, queue.ErrNotFound) {
		return MappingView{}, mapping.QueueMissing(spec.EventSourceARN)
	} else if err != nil {
		return MappingView{}, fmt.Errorf("control: queue of a mapping: %w", err)
	}
	existing, err := c.store.List(ctx, tenant)
	if err != nil {
		return MappingView{}, err
	}
	for _, o := range existing {
		if o.Queue == m.Queue && o.Function == m.Function && o.Qualifier == m.Qualifier {
			return MappingView{}, fn.Conflict("An event source mapping with SQS arn (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
				m.QueueARN(), m.Function, o.UUID)
		}
	}
	m, err = c.store.Create(ctx, m)
	if err != nil {
		return MappingView{}, err
	}
	return c.view(m), nil
}

// checkFunction checks that tenant's function (and its qualifier, a
// version or an alias) exists.
func (c *Mappings) checkFunction(ctx context.Context, tenant, name, qualifier string) error {
	if err := fn.ValidateName(name); err != nil {
		return err
	}
	if _, err := c.reg.GetFunction(ctx, tenant, name); err != nil {
		return err
	}
	switch {
	case qualifier == "" || qualifier == fn.LatestVersion:
		return nil
	case fn.IsVersionNumber(qualifier):
		_, err := c.reg.GetVersion(ctx, tenant, name, qualifier)
		return err
	}
	_, err := c.reg.GetAlias(ctx, tenant, name, qualifier)
	return err
}

// apply sets spec's fields on m.
func apply(m *mapping.Mapping, spec MappingSpec) error {
	if spec.Function != "" {
		m.Function, m.Qualifier = spec.Function, spec.Qualifier
	}
	if spec.BatchSize != nil {
		m.BatchSize = *spec.BatchSize
	}
	if spec.WindowSeconds != nil {
		m.WindowSeconds = *spec.WindowSeconds
	}
	if spec.ResponseTypes != nil {
		m.ReportFailures = false
		for _, t := range *spec.ResponseTypes {
			if t != mapping.ReportBatchItemFailures {
				return fn.InvalidParameter("FunctionResponseTypes holds %q: the one value is %s", t, mapping.ReportBatchItemFailures)
			}
			m.ReportFailures = true
		}
	}
	if spec.MaxConcurrency != nil {
		m.MaxConcurrency = *spec.MaxConcurrency
	}
	if spec.Enabled != nil {
		m.Enabled = *spec.Enabled
	}
	return applyStream(m, spec)
}

// GetMapping returns tenant's mapping uuid.
func (c *Mappings) GetMapping(ctx context.Context, tenant, uuid string) (MappingView, error) {
	m, err := c.store.Get(ctx, tenant, uuid)
	if err != nil {
		return MappingView{}, err
	}
	return c.view(m), nil
}

// ListMappings returns tenant's mappings, oldest first, of the queue
// queueARN and of the function (with its qualifier, if any) when given.
func (c *Mappings) ListMappings(ctx context.Context, tenant, queueARN, function, qualifier string) ([]MappingView, error) {
	var queueName string
	if mapping.IsStreamARN(queueARN) {
		all, err := c.ListMappings(ctx, tenant, "", function, qualifier)
		out := make([]MappingView, 0, len(all))
		for _, v := range all {
			if v.Stream != nil && v.Stream.ARN == queueARN {
				out = append(out, v)
			}
		}
		return out, err
	}
	if queueARN != "" {
		account, name, ok := mapping.SplitQueueARN(queueARN)
		if !ok {
			return nil, fn.InvalidParameter("EventSourceArn %q is not a queue ARN: use arn:aws:sqs:%s:%s:QUEUE", queueARN, fn.Region, fn.AccountID(tenant))
		}
		if account != fn.AccountID(tenant) {
			return []MappingView{}, nil // another account's queue: none of yours
		}
		queueName = name
	}
	all, err := c.store.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]MappingView, 0, len(all))
	for _, m := range all {
		if queueARN != "" && (m.Stream != nil || m.Queue != queueName) {
			continue
		}
		if function != "" && (m.Function != function || qualifier != "" && m.Qualifier != qualifier) {
			continue
		}
		out = append(out, c.view(m))
	}
	return out, nil
}

// UpdateMapping changes tenant's mapping uuid; a new function must exist.
func (c *Mappings) UpdateMapping(ctx context.Context, tenant, uuid string, spec MappingSpec) (MappingView, error) {
	if spec.Function != "" {
		if err := c.checkFunction(ctx, tenant, spec.Function, spec.Qualifier); err != nil {
			return MappingView{}, err
		}
	}
	m, err := c.store.Update(ctx, tenant, uuid, func(m *mapping.Mapping) error { return apply(m, spec) })
	if err != nil {
		return MappingView{}, err
	}
	return c.view(m), nil
}

// DeleteMapping removes tenant's mapping uuid; its loop stops on every
// node. The reply is the mapping in state Deleting.
func (c *Mappings) DeleteMapping(ctx context.Context, tenant, uuid string) (MappingView, error) {
	m, err := c.store.Delete(ctx, tenant, uuid)
	if err != nil {
		return MappingView{}, err
	}
	v := c.view(m)
	v.State = mapping.StateDeleting
	return v, nil
}
