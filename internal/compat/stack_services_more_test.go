package compat

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/stack"
)

func (r *servicesRig) queueARN(name string) string {
	return "arn:aws:sqs:" + fn.Region + ":" + r.p.key.AccountID + ":" + name
}

// queues makes the named queues through the backend.
func (r *servicesRig) queues(ctx context.Context, t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		r.apply(ctx, t, &stack.Resource{LogicalID: n, Type: "AWS::SQS::Queue", Kind: stack.KindQueue, Name: n, Queue: &stack.QueueSpec{}}, nil, stack.Applied{})
	}
}

func (r *servicesRig) subscription(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sns.NewFromConfig(r.cfg)
	r.apply(ctx, t, &stack.Resource{LogicalID: "Orders", Type: "AWS::SNS::Topic", Kind: stack.KindTopic, Name: "svc-orders", Topic: &stack.TopicSpec{}}, nil, stack.Applied{})
	r.queues(ctx, t, "svc-inbox", "svc-other")
	spec := func(queue string, attrs map[string]string) *stack.Resource {
		return &stack.Resource{LogicalID: "Sub", Type: "AWS::SNS::Subscription", Kind: stack.KindSubscription, Subscription: &stack.SubscriptionSpec{
			TopicARN: r.topicARN("svc-orders"), Protocol: "sqs", Endpoint: r.queueARN(queue), Attributes: attrs}}
	}
	attrs := func(arn string) map[string]string {
		t.Helper()
		got, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return got.Attributes
	}
	v1 := spec("svc-inbox", map[string]string{"FilterPolicy": `{"kind":["a"]}`})
	v2 := spec("svc-inbox", map[string]string{"FilterPolicy": `{"kind": ["b"]}`, "RawMessageDelivery": "true"})
	v3 := spec("svc-other", nil)
	a1 := r.apply(ctx, t, v1, nil, stack.Applied{})
	if got := attrs(a1.ID); got["FilterPolicy"] != `{"kind":["a"]}` || got["Endpoint"] != r.queueARN("svc-inbox") {
		t.Fatalf("subscription %s: %v", a1.ID, got)
	}
	a2 := r.apply(ctx, t, v2, v1, a1)
	if a2 != a1 {
		t.Fatalf("changed attributes made another subscription: %v, was %v", a2, a1)
	}
	if got := attrs(a2.ID); got["FilterPolicy"] != `{"kind": ["b"]}` || got["RawMessageDelivery"] != "true" {
		t.Fatalf("after the change: %v", got)
	}
	if again := r.apply(ctx, t, v2, v2, a2); again != a2 {
		t.Fatalf("an unchanged apply gave %v, want %v", again, a2)
	}
	a3 := r.apply(ctx, t, v3, v2, a2)
	if a3.ID == a2.ID || attrs(a3.ID)["Endpoint"] != r.queueARN("svc-other") || attrs(a3.ID)["FilterPolicy"] != "" {
		t.Fatalf("another endpoint: %v (was %v): %v", a3, a2, attrs(a3.ID))
	}
	if _, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(a2.ID)}); wantCode(err, "NotFound") != nil {
		t.Fatalf("the replaced subscription: %v", wantCode(err, "NotFound"))
	}
	r.remove(ctx, t, v3, a3, func() error {
		_, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(a3.ID)})
		return wantCode(err, "NotFound")
	})
}

func (r *servicesRig) bucket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := s3.NewFromConfig(r.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	r.queues(ctx, t, "svc-uploads")
	v1 := &stack.Resource{LogicalID: "Photos", Type: "AWS::S3::Bucket", Kind: stack.KindBucket, Name: "svc-photos", Bucket: &stack.BucketSpec{
		CORS: []byte(`{"CORSRules":[{"AllowedOrigins":["https://example.com"],"AllowedMethods":["GET","PUT"],"MaxAgeSeconds":60}]}`)}}
	v2 := &stack.Resource{LogicalID: "Photos", Type: "AWS::S3::Bucket", Kind: stack.KindBucket, Name: "svc-photos", Bucket: &stack.BucketSpec{}}
	a := r.apply(ctx, t, v1, nil, stack.Applied{})
	cors, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("svc-photos")})
	if err != nil || len(cors.CORSRules) != 1 || cors.CORSRules[0].AllowedOrigins[0] != "https://example.com" || aws.ToInt32(cors.CORSRules[0].MaxAgeSeconds) != 60 {
		t.Fatalf("CORS %+v: %v", cors, err)
	}
	a = r.apply(ctx, t, v1, v1, a)
	a = r.apply(ctx, t, v2, v1, a)
	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("svc-photos")}); wantCode(err, "NoSuchCORSConfiguration") != nil {
		t.Fatalf("CORS removed: %v", wantCode(err, "NoSuchCORSConfiguration"))
	}

	notify := []stack.BucketNotification{{Kind: "queue", Target: r.queueARN("svc-uploads"), Events: []string{"s3:ObjectCreated:*"}, Prefix: "in/", Suffix: ".jpg"}}
	for range 2 {
		if err := r.b.ApplyNotifications(ctx, "svc-photos", notify); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("svc-photos")})
	if err != nil || len(n.QueueConfigurations) != 1 || aws.ToString(n.QueueConfigurations[0].QueueArn) != r.queueARN("svc-uploads") ||
		n.QueueConfigurations[0].Filter == nil || len(n.QueueConfigurations[0].Filter.Key.FilterRules) != 2 {
		t.Fatalf("notifications %+v: %v", n, err)
	}
	if err := r.b.ApplyNotifications(ctx, "svc-photos", nil); err != nil {
		t.Fatal(err)
	}
	n, err = c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("svc-photos")})
	if err != nil || len(n.QueueConfigurations)+len(n.LambdaFunctionConfigurations)+len(n.TopicConfigurations) != 0 {
		t.Fatalf("cleared notifications %+v: %v", n, err)
	}

	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("svc-photos"), Key: aws.String("in/cat.jpg"), Body: strings.NewReader("meow")}); err != nil {
		t.Fatal(err)
	}
	err = r.b.Delete(ctx, v2, a)
	var fe *fn.Error
	if err == nil || !strings.Contains(err.Error(), "Resource Photos (AWS::S3::Bucket)") || !strings.Contains(err.Error(), "still holds objects") ||
		!strings.Contains(err.Error(), "aws s3 rm s3://svc-photos --recursive") || !errors.As(err, &fe) || fe.Status != http.StatusConflict {
		t.Fatalf("delete of a bucket with an object: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("svc-photos"), Key: aws.String("in/cat.jpg")}); err != nil {
		t.Fatal(err)
	}
	r.remove(ctx, t, v2, a, func() error {
		_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("svc-photos")})
		return wantCode(err, "NoSuchBucket")
	})
}

func (r *servicesRig) mapping(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := apiclient.New(r.p.endpoint, r.p.key.APIKey)
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "svc-consumer", Runtime: "python3.11", Handler: "app.handler", Zip: pythonZip(t, "v1")}); err != nil {
		t.Fatal(err)
	}
	table := &stack.Resource{LogicalID: "Events", Type: "AWS::DynamoDB::Table", Kind: stack.KindTable, Name: "svc-events", Table: &stack.TableSpec{
		KeySchema: []stack.KeyElement{{Name: "id", Type: "HASH"}}, Attributes: []stack.AttrDef{{Name: "id", Type: "S"}}, StreamView: "NEW_IMAGE"}}
	r.apply(ctx, t, table, nil, stack.Applied{})
	r.queues(ctx, t, "svc-work")
	d, err := dynamodb.NewFromConfig(r.cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("svc-events")})
	if err != nil {
		t.Fatal(err)
	}
	stream := aws.ToString(d.Table.LatestStreamArn)
	standIn, err := stack.Attribute(stack.Inputs{Tenant: "default", AccountID: r.p.key.AccountID, Region: fn.Region}, "AWS::DynamoDB::Table", "svc-events", "StreamArn")
	if err != nil || !strings.HasSuffix(standIn, stack.StreamLatest) {
		t.Fatalf("stand-in %q: %v", standIn, err)
	}
	spec := func(source string, batch int, retries *int) *stack.Resource {
		m := &stack.MappingSpec{EventSourceArn: source, FunctionName: "svc-consumer", BatchSize: &batch, MaximumRetryAttempts: retries}
		if strings.HasPrefix(source, "arn:aws:dynamodb:") {
			m.StartingPosition = "LATEST"
		}
		return &stack.Resource{LogicalID: "ConsumerStream", Type: "AWS::Lambda::EventSourceMapping", Kind: stack.KindMapping, Mapping: m}
	}
	c := lambda.NewFromConfig(r.cfg)
	get := func(id string) *lambda.GetEventSourceMappingOutput {
		t.Helper()
		got, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	three := 3
	v1, v2, v3 := spec(standIn, 10, nil), spec(standIn, 20, &three), spec(r.queueARN("svc-work"), 5, nil)
	a1 := r.apply(ctx, t, v1, nil, stack.Applied{})
	if got := get(a1.ID); aws.ToString(got.EventSourceArn) != stream || aws.ToInt32(got.BatchSize) != 10 || !strings.HasSuffix(aws.ToString(got.FunctionArn), ":function:svc-consumer") {
		t.Fatalf("mapping %s: source %s (want the table's stream %s), batch %d, function %s", a1.ID, aws.ToString(got.EventSourceArn), stream, aws.ToInt32(got.BatchSize), aws.ToString(got.FunctionArn))
	}
	a2 := r.apply(ctx, t, v2, v1, a1)
	if got := get(a2.ID); a2 != a1 || aws.ToInt32(got.BatchSize) != 20 || aws.ToInt32(got.MaximumRetryAttempts) != 3 {
		t.Fatalf("updated mapping %v (was %v): batch %d, retries %d", a2, a1, aws.ToInt32(got.BatchSize), aws.ToInt32(got.MaximumRetryAttempts))
	}
	before := get(a2.ID).LastModified
	if again := r.apply(ctx, t, v2, v2, a2); again != a2 || !get(a2.ID).LastModified.Equal(*before) {
		t.Fatalf("an unchanged apply gave %v (want %v) or changed the mapping", again, a2)
	}
	// Another function: updated in place, the stream position kept (as
	// Lambda's UpdateEventSourceMapping does).
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "svc-consumer2", Runtime: "python3.11", Handler: "app.handler", Zip: pythonZip(t, "v2")}); err != nil {
		t.Fatal(err)
	}
	moved := spec(standIn, 20, &three)
	moved.Mapping.FunctionName = "svc-consumer2"
	if a := r.apply(ctx, t, moved, v2, a2); a != a2 || !strings.HasSuffix(aws.ToString(get(a2.ID).FunctionArn), ":function:svc-consumer2") {
		t.Fatalf("another function: %v (was %v), function %s", a, a2, aws.ToString(get(a2.ID).FunctionArn))
	}
	a3 := r.apply(ctx, t, v3, moved, a2)
	if got := get(a3.ID); a3 == a2 || aws.ToString(got.EventSourceArn) != r.queueARN("svc-work") || aws.ToInt32(got.BatchSize) != 5 {
		t.Fatalf("another source: %v (was %v): %s", a3, a2, aws.ToString(got.EventSourceArn))
	}
	if _, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(a2.ID)}); wantCode(err, "ResourceNotFoundException") != nil {
		t.Fatalf("the replaced mapping: %v", wantCode(err, "ResourceNotFoundException"))
	}
	r.remove(ctx, t, v3, a3, func() error {
		_, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(a3.ID)})
		return wantCode(err, "ResourceNotFoundException")
	})
}

func (r *servicesRig) schedule(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api := apiclient.New(r.p.endpoint, r.p.key.APIKey)
	f, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "svc-nightly", Runtime: "python3.11", Handler: "app.handler", Zip: pythonZip(t, "v1")})
	if err != nil {
		t.Fatal(err)
	}
	retries := 2
	spec := func(expr, input, state string) *stack.Resource {
		return &stack.Resource{LogicalID: "Nightly", Type: "AWS::Scheduler::Schedule", Kind: stack.KindSchedule, Name: "svc-nightly",
			Schedule: &stack.ScheduleSpec{Expression: expr, TargetARN: f.ARN(), Input: input, State: state, MaxRetries: &retries}}
	}
	c := scheduler.NewFromConfig(r.cfg)
	check := func(expr, input, state string) {
		t.Helper()
		got, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("svc-nightly")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(got.ScheduleExpression) != expr || aws.ToString(got.Target.Input) != input || string(got.State) != state || aws.ToString(got.Target.Arn) != f.ARN() {
			t.Fatalf("schedule %s %s %s %s", aws.ToString(got.ScheduleExpression), aws.ToString(got.Target.Input), got.State, aws.ToString(got.Target.Arn))
		}
	}
	v1, v2 := spec("cron(0 3 * * ? *)", `{"day":"today"}`, ""), spec("rate(1 hour)", `{"day":"yesterday"}`, "DISABLED")
	a := r.apply(ctx, t, v1, nil, stack.Applied{})
	check("cron(0 3 * * ? *)", `{"day":"today"}`, "ENABLED")
	a = r.apply(ctx, t, v2, v1, a)
	check("rate(1 hour)", `{"day":"yesterday"}`, "DISABLED")
	before, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("svc-nightly")})
	if err != nil {
		t.Fatal(err)
	}
	a = r.apply(ctx, t, v2, v2, a)
	after, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("svc-nightly")})
	if err != nil || !after.LastModificationDate.Equal(*before.LastModificationDate) {
		t.Fatalf("an unchanged apply changed the schedule (%v → %v): %v", before.LastModificationDate, after.LastModificationDate, err)
	}
	r.remove(ctx, t, v2, a, func() error {
		_, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("svc-nightly")})
		return wantCode(err, "ResourceNotFoundException")
	})
}
