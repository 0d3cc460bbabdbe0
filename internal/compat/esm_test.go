package compat

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// recorderZip is a Python function that prints every record it gets and
// reports the records whose body is "fail" as batch item failures.
func recorderZip(t *testing.T) []byte {
	return zipOf(t, map[string]string{"app.py": `import json
def handler(event, context):
    failures = []
    for r in event["Records"]:
        print("GOT " + json.dumps(r, sort_keys=True))
        if r["body"] == "fail":
            failures.append({"itemIdentifier": r["messageId"]})
    return {"batchItemFailures": failures}
`})
}

// sqsRecord is what the function printed of one record.
type sqsRecord struct {
	MessageID              string            `json:"messageId"`
	ReceiptHandle          string            `json:"receiptHandle"`
	Body                   string            `json:"body"`
	Attributes             map[string]string `json:"attributes"`
	MessageAttributes      map[string]any    `json:"messageAttributes"`
	MD5OfBody              string            `json:"md5OfBody"`
	MD5OfMessageAttributes string            `json:"md5OfMessageAttributes"`
	EventSource            string            `json:"eventSource"`
	EventSourceARN         string            `json:"eventSourceARN"`
	AWSRegion              string            `json:"awsRegion"`
}

// records reads the records the function printed so far.
func records(ctx context.Context, t *testing.T, api *apiclient.Client, function string) []sqsRecord {
	t.Helper()
	return logged[sqsRecord](ctx, t, api, function, "GOT ")
}

// TestEventSourceMappingSQS drives Lambda's event source mapping API with
// the real SDK client and a real Python function: create (with Lambda's
// errors), the queue's messages reach the function as Lambda's SQS event,
// a reported item failure ends in the dead-letter queue, list with
// filters and pages, disable, delete; another tenant sees none of it.
func TestEventSourceMappingSQS(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("rec"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: recorderZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	qm := p.daemon.Queues()
	tenant := p.key.Tenant
	jobs := queue.ID{Tenant: tenant, Name: "jobs"}
	if _, err := qm.Create(ctx, queue.ID{Tenant: tenant, Name: "jobs-dlq"}, queue.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := qm.Create(ctx, jobs, queue.Config{Visibility: time.Second, MaxReceives: 1, DeadLetter: "jobs-dlq"}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sqs:local:" + p.key.AccountID + ":jobs"

	// Lambda's errors.
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn), FunctionName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn + "-missing"), FunctionName: aws.String("rec")})
	wantAPIError(t, err, "InvalidParameterValueException")
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn), FunctionName: aws.String("rec"), BatchSize: aws.Int32(11)})
	wantAPIError(t, err, "InvalidParameterValueException")

	created, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("rec"), BatchSize: aws.Int32(5),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		ScalingConfig:         &types.ScalingConfig{MaximumConcurrency: aws.Int32(3)},
	})
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	uuid := aws.ToString(created.UUID)
	if uuid == "" || aws.ToString(created.EventSourceArn) != arn || aws.ToInt32(created.BatchSize) != 5 ||
		aws.ToString(created.FunctionArn) != "arn:aws:lambda:local:"+p.key.AccountID+":function:rec" ||
		created.ScalingConfig == nil || aws.ToInt32(created.ScalingConfig.MaximumConcurrency) != 3 ||
		len(created.FunctionResponseTypes) != 1 || created.LastModified == nil || created.LastModified.IsZero() ||
		(aws.ToString(created.State) != "Creating" && aws.ToString(created.State) != "Enabled") {
		t.Fatalf("created %+v", created)
	}
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn), FunctionName: aws.String("rec")})
	wantAPIError(t, err, "ResourceConflictException")
	waitMappingState(ctx, t, c, uuid, "Enabled")

	// Messages reach the function as Lambda's SQS records; "fail" is
	// reported as a batch item failure, received again after its
	// visibility timeout, and then moved to the dead-letter queue.
	var ids []string
	for _, body := range []string{"a", "fail"} {
		id, err := qm.Send(ctx, jobs, queue.Message{Body: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// One through the SQS API, with a message attribute the record carries.
	sent, err := p.sqs().SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(p.endpoint + "/" + p.key.AccountID + "/jobs"), MessageBody: aws.String("b"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"color": {DataType: aws.String("String"), StringValue: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, aws.ToString(sent.MessageId))
	api := apiclient.New(p.endpoint, p.key.APIKey)
	deadline := time.Now().Add(90 * time.Second)
	var got []sqsRecord
	for {
		got = records(ctx, t, api, "rec")
		if len(got) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function got %d records: %+v", len(got), got)
		}
		time.Sleep(200 * time.Millisecond)
	}
	bodies := map[string]sqsRecord{}
	for _, r := range got {
		bodies[r.Body] = r
	}
	a := bodies["a"]
	if a.MessageID != ids[0] || a.ReceiptHandle == "" || a.EventSource != "aws:sqs" || a.EventSourceARN != "arn:aws:sqs:"+fn.Region+":"+p.key.AccountID+":jobs" ||
		a.AWSRegion != fn.Region || a.MD5OfBody != "0cc175b9c0f1b6a831c399e269772661" || a.MessageAttributes == nil ||
		a.Attributes["ApproximateReceiveCount"] != "1" || a.Attributes["SenderId"] != p.key.AccountID || a.Attributes["SentTimestamp"] == "" {
		t.Fatalf("record of a: %+v", a)
	}
	b := bodies["b"]
	color, _ := b.MessageAttributes["color"].(map[string]any)
	if b.MessageID != ids[2] || color["stringValue"] != "blue" || color["dataType"] != "String" || b.MD5OfMessageAttributes != aws.ToString(sent.MD5OfMessageAttributes) {
		t.Fatalf("record of b: %+v (sent with MD5 of attributes %s)", b, aws.ToString(sent.MD5OfMessageAttributes))
	}
	dead, err := qm.Receive(ctx, queue.ID{Tenant: tenant, Name: "jobs-dlq"}, queue.ReceiveOptions{Max: 10, Wait: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != ids[1] || string(dead[0].Body) != "fail" {
		t.Fatalf("dead-letter queue holds %+v, want the failed message", dead)
	}

	// List, with filters and pages.
	other, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("rec2"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: recorderZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: other.FunctionArn, Enabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(second.BatchSize) != 10 {
		t.Fatalf("default BatchSize %d", aws.ToInt32(second.BatchSize))
	}
	list, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("rec")})
	if err != nil || len(list.EventSourceMappings) != 1 || aws.ToString(list.EventSourceMappings[0].UUID) != uuid {
		t.Fatalf("list by function: %+v %v", list, err)
	}
	list, err = c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(arn), MaxItems: aws.Int32(1)})
	if err != nil || len(list.EventSourceMappings) != 1 || list.NextMarker == nil {
		t.Fatalf("first page: %+v %v", list, err)
	}
	page2, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(arn), MaxItems: aws.Int32(1), Marker: list.NextMarker})
	if err != nil || len(page2.EventSourceMappings) != 1 || page2.NextMarker != nil ||
		aws.ToString(page2.EventSourceMappings[0].UUID) != aws.ToString(second.UUID) || aws.ToString(page2.EventSourceMappings[0].State) != "Disabled" {
		t.Fatalf("second page: %+v %v", page2, err)
	}

	// Another tenant sees none of it.
	adminKey, err := os.ReadFile(p.daemon.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := p.tenantKey(ctx, t, strings.TrimSpace(string(adminKey)), "team-b")
	if err != nil {
		t.Fatal(err)
	}
	cb := p.client(kb.AccessKeyID, kb.SecretAccessKey)
	_, err = cb.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = cb.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(uuid)})
	wantAPIError(t, err, "ResourceNotFoundException")
	if l, err := cb.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{}); err != nil || len(l.EventSourceMappings) != 0 {
		t.Fatalf("team-b lists %+v %v", l, err)
	}

	// Update: disable, then change the batch; delete.
	up, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid), Enabled: aws.Bool(false), BatchSize: aws.Int32(7)})
	if err != nil || aws.ToInt32(up.BatchSize) != 7 {
		t.Fatalf("update: %+v %v", up, err)
	}
	waitMappingState(ctx, t, c, uuid, "Disabled")
	_, err = c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid), MaximumBatchingWindowInSeconds: aws.Int32(301)})
	wantAPIError(t, err, "InvalidParameterValueException")
	del, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil || aws.ToString(del.State) != "Deleting" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func waitMappingState(ctx context.Context, t *testing.T, c *lambda.Client, uuid, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(m.State) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mapping %s is %s, want %s", uuid, aws.ToString(m.State), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
