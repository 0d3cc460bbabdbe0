package control

import (
	"context"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/mapping"
)

// SetStreams lets mappings read table streams (the daemon wires the
// tables in once they run).
func (c *Mappings) SetStreams(s mapping.Streams) { c.streams = s }

// createStreamMapping checks that the function and the table stream exist
// in tenant, resolves LATEST to the stream's latest record, and stores the
// mapping.
func (c *Mappings) createStreamMapping(ctx context.Context, tenant string, spec MappingSpec) (MappingView, error) {
	if c.streams == nil {
		return MappingView{}, fn.Unavailable("table streams are not served yet: retry")
	}
	if spec.StartingPosition == "" {
		return MappingView{}, fn.InvalidParameter("StartingPosition is required for a DynamoDB stream source: TRIM_HORIZON or LATEST")
	}
	s := &mapping.Stream{ARN: spec.EventSourceARN, StartingPosition: spec.StartingPosition, MaxRetries: -1, MaxAge: -1}
	m := mapping.Mapping{Tenant: tenant, Stream: s, BatchSize: mapping.DefaultStreamBatchSize, Enabled: true}
	if err := apply(&m, spec); err != nil {
		return MappingView{}, err
	}
	if err := c.checkFunction(ctx, tenant, m.Function, m.Qualifier); err != nil {
		return MappingView{}, err
	}
	id, latest, err := c.streams.Resolve(ctx, tenant, spec.EventSourceARN)
	if err != nil {
		return MappingView{}, err
	}
	s.TableID = id
	if s.StartingPosition == mapping.Latest {
		s.StartSeq = latest
	}
	if err := m.Validate(); err != nil {
		return MappingView{}, err
	}
	existing, err := c.store.List(ctx, tenant)
	if err != nil {
		return MappingView{}, err
	}
	for _, o := range existing {
		if o.Stream != nil && o.Stream.ARN == s.ARN && o.Function == m.Function && o.Qualifier == m.Qualifier {
			return MappingView{}, fn.Conflict("An event source mapping with event source (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
				s.ARN, m.Function, o.UUID)
		}
	}
	m, err = c.store.Create(ctx, m)
	if err != nil {
		return MappingView{}, err
	}
	return c.view(m), nil
}

// applyStream sets a spec's stream settings on m; they are refused for a
// queue source.
func applyStream(m *mapping.Mapping, spec MappingSpec) error {
	set := spec.StartingPosition != "" || spec.MaxRetries != nil || spec.MaxRecordAge != nil || spec.Bisect != nil || spec.OnFailure != nil
	if m.Stream == nil {
		if set {
			return fn.InvalidParameter("StartingPosition, MaximumRetryAttempts, MaximumRecordAgeInSeconds, BisectBatchOnFunctionError and DestinationConfig apply to stream sources, not to SQS queues: leave them out")
		}
		return nil
	}
	s := m.Stream
	if spec.StartingPosition != "" && spec.StartingPosition != s.StartingPosition {
		if m.UUID != "" {
			return fn.InvalidParameter("StartingPosition cannot be changed: delete the mapping and create another")
		}
		s.StartingPosition = spec.StartingPosition
	}
	if spec.MaxRetries != nil {
		s.MaxRetries = *spec.MaxRetries
	}
	if spec.MaxRecordAge != nil {
		s.MaxAge = *spec.MaxRecordAge
	}
	if spec.Bisect != nil {
		s.Bisect = *spec.Bisect
	}
	if spec.OnFailure != nil {
		s.OnFailure = *spec.OnFailure
	}
	return nil
}
