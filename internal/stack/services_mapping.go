package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Lambda's defaults of a mapping's settings: a setting the template no
// longer gives goes back to them.
const (
	queueBatchDefault  = 10
	streamBatchDefault = 100
)

// mappingWant is a mapping's settings with Lambda's defaults filled in.
type mappingWant struct {
	source, function string
	stream           bool
	batch, window    int32
	enabled          bool
	responseTypes    []string
	concurrency      int32
	retries, maxAge  int32
	bisect           bool
	onFailure        string
	filter           *lambdatypes.FilterCriteria
}

func (s *Services) wantMapping(ctx context.Context, r *Resource) (mappingWant, error) {
	spec := r.Mapping
	source, err := s.latestStream(ctx, r, spec.EventSourceArn)
	if err != nil {
		return mappingWant{}, err
	}
	w := mappingWant{source: source, function: functionRef(spec.FunctionName), stream: strings.HasPrefix(source, "arn:aws:dynamodb:"),
		batch: queueBatchDefault, enabled: true, responseTypes: []string{}, retries: -1, maxAge: -1, onFailure: spec.OnFailure}
	if w.stream {
		w.batch = streamBatchDefault
	}
	set := func(dst *int32, v *int) {
		if v != nil {
			*dst = int32(*v)
		}
	}
	set(&w.batch, spec.BatchSize)
	set(&w.window, spec.MaximumBatchingWindowInSeconds)
	set(&w.concurrency, spec.MaximumConcurrency)
	set(&w.retries, spec.MaximumRetryAttempts)
	set(&w.maxAge, spec.MaximumRecordAgeInSeconds)
	if spec.Enabled != nil {
		w.enabled = *spec.Enabled
	}
	if spec.BisectBatchOnFunctionError != nil {
		w.bisect = *spec.BisectBatchOnFunctionError
	}
	if spec.FunctionResponseTypes != nil {
		w.responseTypes = spec.FunctionResponseTypes
	}
	if raw := bytes.TrimSpace(spec.FilterCriteria); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var fc struct{ Filters []struct{ Pattern string } }
		if err := json.Unmarshal(raw, &fc); err != nil {
			return mappingWant{}, svcRefuse(r, http.StatusBadRequest, ValidationError, "property FilterCriteria: %v: want {\"Filters\": [{\"Pattern\": \"…\"}]}", err)
		}
		w.filter = &lambdatypes.FilterCriteria{}
		for _, f := range fc.Filters {
			w.filter.Filters = append(w.filter.Filters, lambdatypes.Filter{Pattern: aws.String(f.Pattern)})
		}
	}
	return w, nil
}

func (s *Services) applyMapping(ctx context.Context, r *Resource, prevApplied Applied) (Applied, error) {
	w, err := s.wantMapping(ctx, r)
	if err != nil {
		return Applied{}, err
	}
	if prevApplied.ID != "" {
		got, err := s.fns.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(prevApplied.ID)})
		switch {
		case svcIsCode(err, "ResourceNotFoundException"):
			// gone: made anew below
		case err != nil:
			return Applied{}, svcFailed(r, "GetEventSourceMapping", err)
		case aws.ToString(got.EventSourceArn) != w.source ||
			w.stream && r.Mapping.StartingPosition != "" && string(got.StartingPosition) != r.Mapping.StartingPosition:
			// another source (or another start in it): a mapping of its own
			if err := s.deleteMapping(ctx, r, prevApplied); err != nil {
				return Applied{}, err
			}
		default:
			return prevApplied, s.updateMapping(ctx, r, w, got)
		}
	}
	in := &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(w.source), FunctionName: aws.String(w.function),
		BatchSize: aws.Int32(w.batch), MaximumBatchingWindowInSeconds: aws.Int32(w.window), Enabled: aws.Bool(w.enabled),
		FunctionResponseTypes: responseTypes(w.responseTypes), FilterCriteria: w.filter,
	}
	if w.concurrency > 0 {
		in.ScalingConfig = &lambdatypes.ScalingConfig{MaximumConcurrency: aws.Int32(w.concurrency)}
	}
	if w.stream {
		in.StartingPosition = lambdatypes.EventSourcePosition(r.Mapping.StartingPosition)
		in.MaximumRetryAttempts, in.MaximumRecordAgeInSeconds = aws.Int32(w.retries), aws.Int32(w.maxAge)
		in.BisectBatchOnFunctionError = aws.Bool(w.bisect)
		if w.onFailure != "" {
			in.DestinationConfig = &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(w.onFailure)}}
		}
	}
	out, err := s.fns.CreateEventSourceMapping(ctx, in)
	if svcIsCode(err, "ResourceConflictException") {
		return s.adoptMapping(ctx, r, w, err)
	} else if err != nil {
		return Applied{}, svcFailed(r, "CreateEventSourceMapping", err)
	}
	return Applied{ID: aws.ToString(out.UUID)}, nil
}

// adoptMapping takes over the mapping of the same source and function
// that a create found (one an interrupted deploy made), answering
// conflict when there is none.
func (s *Services) adoptMapping(ctx context.Context, r *Resource, w mappingWant, conflict error) (Applied, error) {
	list, err := s.fns.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{
		EventSourceArn: aws.String(w.source), FunctionName: aws.String(w.function)})
	if err != nil {
		return Applied{}, svcFailed(r, "ListEventSourceMappings", err)
	}
	if len(list.EventSourceMappings) == 0 {
		return Applied{}, svcFailed(r, "CreateEventSourceMapping", conflict)
	}
	m := list.EventSourceMappings[0]
	got := &lambda.GetEventSourceMappingOutput{UUID: m.UUID, EventSourceArn: m.EventSourceArn, FunctionArn: m.FunctionArn,
		BatchSize: m.BatchSize, MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds, State: m.State,
		FunctionResponseTypes: m.FunctionResponseTypes, ScalingConfig: m.ScalingConfig, MaximumRetryAttempts: m.MaximumRetryAttempts,
		MaximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds, BisectBatchOnFunctionError: m.BisectBatchOnFunctionError,
		DestinationConfig: m.DestinationConfig}
	return Applied{ID: aws.ToString(m.UUID)}, s.updateMapping(ctx, r, w, got)
}

// updateMapping changes what differs between got and w in place: the
// function and the settings Lambda updates (AWS changes FunctionName
// without interruption too).
func (s *Services) updateMapping(ctx context.Context, r *Resource, w mappingWant, got *lambda.GetEventSourceMappingOutput) error {
	in := &lambda.UpdateEventSourceMappingInput{UUID: got.UUID}
	same := true
	if functionRef(aws.ToString(got.FunctionArn)) != w.function {
		in.FunctionName, same = aws.String(w.function), false
	}
	if aws.ToInt32(got.BatchSize) != w.batch {
		in.BatchSize, same = aws.Int32(w.batch), false
	}
	if aws.ToInt32(got.MaximumBatchingWindowInSeconds) != w.window {
		in.MaximumBatchingWindowInSeconds, same = aws.Int32(w.window), false
	}
	if enabled, known := mappingEnabled(aws.ToString(got.State)); !known || enabled != w.enabled {
		in.Enabled, same = aws.Bool(w.enabled), false
	}
	haveTypes := make([]string, 0, len(got.FunctionResponseTypes))
	for _, t := range got.FunctionResponseTypes {
		haveTypes = append(haveTypes, string(t))
	}
	if !slices.Equal(haveTypes, w.responseTypes) {
		in.FunctionResponseTypes, same = responseTypes(w.responseTypes), false
	}
	var haveConc int32
	if got.ScalingConfig != nil {
		haveConc = aws.ToInt32(got.ScalingConfig.MaximumConcurrency)
	}
	if haveConc != w.concurrency {
		in.ScalingConfig, same = &lambdatypes.ScalingConfig{}, false
		if w.concurrency > 0 {
			in.ScalingConfig.MaximumConcurrency = aws.Int32(w.concurrency)
		}
	}
	if w.filter != nil {
		in.FilterCriteria, same = w.filter, false
	}
	if w.stream && !sameStreamSettings(got, w) {
		in.MaximumRetryAttempts, in.MaximumRecordAgeInSeconds = aws.Int32(w.retries), aws.Int32(w.maxAge)
		in.BisectBatchOnFunctionError = aws.Bool(w.bisect)
		in.DestinationConfig = &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{}}
		if w.onFailure != "" {
			in.DestinationConfig.OnFailure.Destination = aws.String(w.onFailure)
		}
		same = false
	}
	if same {
		return nil
	}
	if _, err := s.fns.UpdateEventSourceMapping(ctx, in); err != nil {
		return svcFailed(r, "UpdateEventSourceMapping", err)
	}
	return nil
}

func sameStreamSettings(got *lambda.GetEventSourceMappingOutput, w mappingWant) bool {
	dest := ""
	if d := got.DestinationConfig; d != nil && d.OnFailure != nil {
		dest = aws.ToString(d.OnFailure.Destination)
	}
	return aws.ToInt32(got.MaximumRetryAttempts) == w.retries && aws.ToInt32(got.MaximumRecordAgeInSeconds) == w.maxAge &&
		aws.ToBool(got.BisectBatchOnFunctionError) == w.bisect && dest == w.onFailure
}

// mappingEnabled reads Enabled from a mapping's state (known false while
// it is being updated).
func mappingEnabled(state string) (enabled, known bool) {
	switch state {
	case "Creating", "Enabling", "Enabled":
		return true, true
	case "Disabling", "Disabled":
		return false, true
	}
	return false, false
}

func responseTypes(ts []string) []lambdatypes.FunctionResponseType {
	out := make([]lambdatypes.FunctionResponseType, 0, len(ts))
	for _, t := range ts {
		out = append(out, lambdatypes.FunctionResponseType(t))
	}
	return out
}

func (s *Services) deleteMapping(ctx context.Context, r *Resource, a Applied) error {
	if a.ID == "" {
		return nil // never made
	}
	_, err := s.fns.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(a.ID)})
	if err != nil && !svcIsCode(err, "ResourceNotFoundException") {
		return svcFailed(r, "DeleteEventSourceMapping", err)
	}
	return nil
}
