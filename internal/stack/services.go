package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Services is the Backend of a stack's AWS-service resources: tables,
// queues, topics, subscriptions, buckets, event source mappings and
// schedules. It makes them through the platform's own AWS endpoint with
// the real AWS SDK, as the deploying tenant (whose credentials cfg
// carries), so a stack goes through the same checks and permissions as
// any client's call.
type Services struct {
	ddb   *dynamodb.Client
	sqs   *sqs.Client
	sns   *sns.Client
	s3    *s3.Client
	fns   *lambda.Client
	sched *scheduler.Client
}

var _ Backend = (*Services)(nil)

// NewServices builds the clients from cfg: its BaseEndpoint (the
// platform's AWS endpoint), Region and Credentials. S3 is addressed
// path-style.
func NewServices(cfg aws.Config) *Services {
	return &Services{
		ddb:   dynamodb.NewFromConfig(cfg),
		sqs:   sqs.NewFromConfig(cfg),
		sns:   sns.NewFromConfig(cfg),
		s3:    s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		fns:   lambda.NewFromConfig(cfg),
		sched: scheduler.NewFromConfig(cfg),
	}
}

// Apply makes r exist as specified (see Backend).
func (s *Services) Apply(ctx context.Context, r *Resource, prev *Resource, prevApplied Applied) (Applied, error) {
	if err := svcCheck(r); err != nil {
		return Applied{}, err
	}
	if prev != nil && (prev.Kind != r.Kind || svcSpec(prev) == nil) {
		prev = nil // not the same kind of thing: nothing to compare with
	}
	switch r.Kind {
	case KindTable:
		return Applied{}, s.applyTable(ctx, r)
	case KindQueue:
		return Applied{}, s.applyQueue(ctx, r, prev)
	case KindTopic:
		return Applied{}, s.applyTopic(ctx, r, prev)
	case KindSubscription:
		return s.applySubscription(ctx, r, prevApplied)
	case KindBucket:
		return Applied{}, s.applyBucket(ctx, r)
	case KindMapping:
		return s.applyMapping(ctx, r, prevApplied)
	case KindSchedule:
		return Applied{}, s.applySchedule(ctx, r)
	}
	return Applied{}, svcNotMine(r)
}

// Delete removes a resource the stack made; one that is gone already is
// no error.
func (s *Services) Delete(ctx context.Context, r *Resource, a Applied) error {
	switch r.Kind {
	case KindTable:
		return s.deleteTable(ctx, r)
	case KindQueue:
		return s.deleteQueue(ctx, r)
	case KindTopic:
		return s.deleteTopic(ctx, r)
	case KindSubscription:
		return s.deleteSubscription(ctx, r, a)
	case KindBucket:
		return s.deleteBucket(ctx, r)
	case KindMapping:
		return s.deleteMapping(ctx, r, a)
	case KindSchedule:
		return s.deleteSchedule(ctx, r)
	}
	return svcNotMine(r)
}

// svcNotMine refuses a resource of a kind another backend makes.
func svcNotMine(r *Resource) error {
	return fmt.Errorf("Resource %s (%s): the services backend does not make resources of kind %q (it makes tables, queues, topics, subscriptions, buckets, mappings and schedules)", r.LogicalID, r.Type, r.Kind)
}

// svcSpec is r's spec of its kind (nil when it has none).
func svcSpec(r *Resource) any {
	v := map[Kind]any{
		KindTable: r.Table, KindQueue: r.Queue, KindTopic: r.Topic, KindSubscription: r.Subscription,
		KindBucket: r.Bucket, KindMapping: r.Mapping, KindSchedule: r.Schedule,
	}[r.Kind]
	if v == nil || reflect.ValueOf(v).IsNil() {
		return nil
	}
	return v
}

// svcCheck refuses a resource without the spec of its kind.
func svcCheck(r *Resource) error {
	switch r.Kind {
	case KindTable, KindQueue, KindTopic, KindSubscription, KindBucket, KindMapping, KindSchedule:
	default:
		return svcNotMine(r)
	}
	if svcSpec(r) == nil {
		return fmt.Errorf("Resource %s (%s): a %s resource without its %s spec", r.LogicalID, r.Type, r.Kind, r.Kind)
	}
	if r.Name == "" && r.Kind != KindSubscription && r.Kind != KindMapping {
		return fmt.Errorf("Resource %s (%s): a %s resource without its physical name", r.LogicalID, r.Type, r.Kind)
	}
	return nil
}

// CallError is a failed service call of one resource: "Resource Jobs
// (AWS::SQS::Queue): CreateQueue: QueueNameExists: …". It unwraps to the
// SDK's error (a smithy.APIError when the service answered).
type CallError struct {
	LogicalID string
	Type      string
	Op        string
	Err       error
}

func (e *CallError) Error() string {
	msg := e.Err.Error()
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		msg = ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return fmt.Sprintf("Resource %s (%s): %s: %s", e.LogicalID, e.Type, e.Op, msg)
}

func (e *CallError) Unwrap() error { return e.Err }

// svcFailed wraps err of r's call op.
func svcFailed(r *Resource, op string, err error) error {
	return &CallError{LogicalID: r.LogicalID, Type: r.Type, Op: op, Err: err}
}

// svcRefuse is a deploy this backend will not make, naming the resource.
func svcRefuse(r *Resource, status int, typ, format string, args ...any) *fn.Error {
	return fn.Errorf(status, typ, "Resource %s (%s): %s", r.LogicalID, r.Type, fmt.Sprintf(format, args...))
}

// svcConflict is svcRefuse's common case: the change needs the user to act.
func svcConflict(r *Resource, format string, args ...any) *fn.Error {
	return svcRefuse(r, http.StatusConflict, fn.TypeResourceConflict, format, args...)
}

// svcIsCode says whether err is a service answer of one of codes.
func svcIsCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// svcSameValue compares two attribute values: as JSON documents when both
// are JSON objects or arrays (scalars compared by their text, so 5 and
// "5" are the same), else as text.
func svcSameValue(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	_, xo := x.(map[string]any)
	_, yo := y.(map[string]any)
	_, xa := x.([]any)
	_, ya := y.([]any)
	if !(xo || xa) || !(yo || ya) {
		return false
	}
	return reflect.DeepEqual(svcTextScalars(x), svcTextScalars(y))
}

// svcTextScalars turns every scalar of a JSON value into its text.
func svcTextScalars(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = svcTextScalars(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = svcTextScalars(e)
		}
		return out
	}
	return fmt.Sprint(v)
}
