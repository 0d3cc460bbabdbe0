package compat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/stack"
)

// servicesRig is a platform, the stack's services backend on it as the
// key's tenant, and plain SDK clients to look at what the backend made.
type servicesRig struct {
	p   *platform
	b   *stack.Services
	cfg aws.Config
}

func (r *servicesRig) apply(ctx context.Context, t *testing.T, res, prev *stack.Resource, a stack.Applied) stack.Applied {
	t.Helper()
	got, err := r.b.Apply(ctx, res, prev, a)
	if err != nil {
		t.Fatalf("apply %s: %v", res.LogicalID, err)
	}
	return got
}

// remove deletes res twice: the second delete finds it gone and succeeds.
func (r *servicesRig) remove(ctx context.Context, t *testing.T, res *stack.Resource, a stack.Applied, gone func() error) {
	t.Helper()
	if err := r.b.Delete(ctx, res, a); err != nil {
		t.Fatalf("delete %s: %v", res.LogicalID, err)
	}
	if err := gone(); err != nil {
		t.Fatalf("after delete of %s: %v", res.LogicalID, err)
	}
	if err := r.b.Delete(ctx, res, a); err != nil {
		t.Fatalf("second delete of %s: %v", res.LogicalID, err)
	}
}

// wantCode is nil when err is the service's answer code.
func wantCode(err error, code string) error {
	if err == nil {
		return errors.New("it still exists")
	}
	var ce interface{ ErrorCode() string }
	if !errors.As(err, &ce) || ce.ErrorCode() != code {
		return errors.New("want " + code + ", got " + err.Error())
	}
	return nil
}

// TestStackServices applies, changes, re-applies and deletes every kind
// the services backend makes, through the real endpoint.
func TestStackServices(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	cfg := p.awsConfig()
	rig := &servicesRig{p: p, b: stack.NewServices(cfg), cfg: cfg}
	t.Run("Table", rig.table)
	t.Run("Queue", rig.queue)
	t.Run("Topic", rig.topic)
	t.Run("Subscription", rig.subscription)
	t.Run("Bucket", rig.bucket)
	t.Run("Mapping", rig.mapping)
	t.Run("Schedule", rig.schedule)
	t.Run("OtherKind", func(t *testing.T) {
		_, err := rig.b.Apply(context.Background(), &stack.Resource{LogicalID: "Fn", Type: "AWS::Serverless::Function", Kind: stack.KindFunction,
			Name: "fn", Function: &stack.FunctionSpec{}}, nil, stack.Applied{})
		if err == nil || !strings.Contains(err.Error(), "Resource Fn (AWS::Serverless::Function)") || !strings.Contains(err.Error(), "does not make") {
			t.Fatalf("apply of a function: %v", err)
		}
	})
}

func (r *servicesRig) table(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ddb := dynamodb.NewFromConfig(r.cfg)
	keys := []stack.KeyElement{{Name: "id", Type: "HASH"}}
	attrs := []stack.AttrDef{{Name: "id", Type: "S"}}
	v1 := &stack.Resource{LogicalID: "Users", Type: "AWS::DynamoDB::Table", Kind: stack.KindTable, Name: "svc-users",
		Table: &stack.TableSpec{KeySchema: keys, Attributes: attrs, BillingMode: "PAY_PER_REQUEST", StreamView: "NEW_IMAGE"}}
	v2 := &stack.Resource{LogicalID: "Users", Type: "AWS::DynamoDB::Table", Kind: stack.KindTable, Name: "svc-users",
		Table: &stack.TableSpec{KeySchema: keys, Attributes: attrs, BillingMode: "PAY_PER_REQUEST", StreamView: "NEW_AND_OLD_IMAGES", TTLAttribute: "expires"}}
	check := func(view, ttl string) {
		t.Helper()
		d, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("svc-users")})
		if err != nil {
			t.Fatal(err)
		}
		switch got := d.Table.StreamSpecification; {
		case view == "" && got != nil && aws.ToBool(got.StreamEnabled):
			t.Fatalf("stream %+v, want none", got)
		case view != "" && (got == nil || string(got.StreamViewType) != view || aws.ToString(d.Table.LatestStreamArn) == ""):
			t.Fatalf("stream %+v, want %s", got, view)
		}
		if k := d.Table.KeySchema; len(k) != 1 || aws.ToString(k[0].AttributeName) != "id" {
			t.Fatalf("key schema %+v", k)
		}
		tt, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("svc-users")})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(tt.TimeToLiveDescription.AttributeName); got != ttl {
			t.Fatalf("TTL attribute %q, want %q", got, ttl)
		}
	}
	a := r.apply(ctx, t, v1, nil, stack.Applied{})
	check("NEW_IMAGE", "")
	a = r.apply(ctx, t, v2, v1, a)
	check("NEW_AND_OLD_IMAGES", "expires")
	a = r.apply(ctx, t, v2, v2, a)
	check("NEW_AND_OLD_IMAGES", "expires")

	rekeyed := *v2
	rekeyed.Table = &stack.TableSpec{KeySchema: []stack.KeyElement{{Name: "pk", Type: "HASH"}}, Attributes: []stack.AttrDef{{Name: "pk", Type: "S"}}}
	_, err := r.b.Apply(ctx, &rekeyed, v2, a)
	if err == nil || !strings.Contains(err.Error(), "Resource Users (AWS::DynamoDB::Table)") || !strings.Contains(err.Error(), "cannot be changed in place") {
		t.Fatalf("a new key schema: %v", err)
	}
	v3 := &stack.Resource{LogicalID: "Users", Type: "AWS::DynamoDB::Table", Kind: stack.KindTable, Name: "svc-users",
		Table: &stack.TableSpec{KeySchema: keys, Attributes: attrs}}
	a = r.apply(ctx, t, v3, v2, a)
	check("", "")
	r.remove(ctx, t, v3, a, func() error {
		_, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("svc-users")})
		return wantCode(err, "ResourceNotFoundException")
	})
}

func (r *servicesRig) queue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := sqs.NewFromConfig(r.cfg)
	dlq := &stack.Resource{LogicalID: "Dead", Type: "AWS::SQS::Queue", Kind: stack.KindQueue, Name: "svc-dead", Queue: &stack.QueueSpec{}}
	r.apply(ctx, t, dlq, nil, stack.Applied{})
	dlqARN := "arn:aws:sqs:" + fn.Region + ":" + r.p.key.AccountID + ":svc-dead"
	v1 := &stack.Resource{LogicalID: "Jobs", Type: "AWS::SQS::Queue", Kind: stack.KindQueue, Name: "svc-jobs",
		Queue: &stack.QueueSpec{Attributes: map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "5"}}}
	v2 := &stack.Resource{LogicalID: "Jobs", Type: "AWS::SQS::Queue", Kind: stack.KindQueue, Name: "svc-jobs",
		Queue: &stack.QueueSpec{Attributes: map[string]string{"VisibilityTimeout": "45",
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"3"}`}}}
	check := func(want map[string]string) {
		t.Helper()
		u, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("svc-jobs")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if got.Attributes[k] != v {
				t.Errorf("%s = %q, want %q", k, got.Attributes[k], v)
			}
		}
	}
	a := r.apply(ctx, t, v1, nil, stack.Applied{})
	check(map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "5"})
	a = r.apply(ctx, t, v2, v1, a)
	check(map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "0", // removed: back to SQS's default
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":3}`})
	a = r.apply(ctx, t, v2, v2, a)
	check(map[string]string{"VisibilityTimeout": "45"})
	bad := &stack.Resource{LogicalID: "Bad", Type: "AWS::SQS::Queue", Kind: stack.KindQueue, Name: "svc-bad",
		Queue: &stack.QueueSpec{Attributes: map[string]string{"Colour": "blue"}}}
	_, err := r.b.Apply(ctx, bad, nil, stack.Applied{})
	var ae smithy.APIError
	if err == nil || !strings.HasPrefix(err.Error(), "Resource Bad (AWS::SQS::Queue): CreateQueue: InvalidAttributeName: ") || !errors.As(err, &ae) {
		t.Fatalf("a bad attribute: %v", err)
	}
	for _, res := range []*stack.Resource{v2, dlq} {
		r.remove(ctx, t, res, a, func() error {
			_, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(res.Name)})
			return wantCode(err, "AWS.SimpleQueueService.NonExistentQueue")
		})
	}
}

func (r *servicesRig) topicARN(name string) string {
	return "arn:aws:sns:" + fn.Region + ":" + r.p.key.AccountID + ":" + name
}

func (r *servicesRig) topic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sns.NewFromConfig(r.cfg)
	spec := func(attrs map[string]string) *stack.Resource {
		return &stack.Resource{LogicalID: "News", Type: "AWS::SNS::Topic", Kind: stack.KindTopic, Name: "svc-news", Topic: &stack.TopicSpec{Attributes: attrs}}
	}
	display := func(want string) {
		t.Helper()
		got, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(r.topicARN("svc-news"))})
		if err != nil {
			t.Fatal(err)
		}
		if got.Attributes["DisplayName"] != want {
			t.Fatalf("DisplayName %q, want %q", got.Attributes["DisplayName"], want)
		}
	}
	v1, v2, v3 := spec(map[string]string{"DisplayName": "One"}), spec(map[string]string{"DisplayName": "Two"}), spec(nil)
	a := r.apply(ctx, t, v1, nil, stack.Applied{})
	display("One")
	a = r.apply(ctx, t, v2, v1, a)
	display("Two")
	a = r.apply(ctx, t, v2, v2, a)
	display("Two")
	a = r.apply(ctx, t, v3, v2, a)
	display("")
	r.remove(ctx, t, v3, a, func() error {
		_, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(r.topicARN("svc-news"))})
		return wantCode(err, "NotFound")
	})
}
