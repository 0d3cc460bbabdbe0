package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
)

// streamRecorderZip is a Python function that prints every stream record
// it gets and fails a batch that holds an item with a "fail" attribute.
func streamRecorderZip(t *testing.T) []byte {
	return zipOf(t, map[string]string{"app.py": `import json
def handler(event, context):
    for r in event["Records"]:
        print("GOT " + json.dumps(r, sort_keys=True))
    for r in event["Records"]:
        if "fail" in r["dynamodb"].get("NewImage", {}):
            raise ValueError("asked to fail")
    return {}
`})
}

// ddbRecord is what the function printed of one stream record.
type ddbRecord struct {
	EventID        string `json:"eventID"`
	EventName      string `json:"eventName"`
	EventVersion   string `json:"eventVersion"`
	EventSource    string `json:"eventSource"`
	EventSourceARN string `json:"eventSourceARN"`
	AWSRegion      string `json:"awsRegion"`
	DynamoDB       struct {
		Keys           map[string]map[string]string `json:"Keys"`
		NewImage       map[string]json.RawMessage   `json:"NewImage"`
		OldImage       map[string]json.RawMessage   `json:"OldImage"`
		SequenceNumber string                       `json:"SequenceNumber"`
		StreamViewType string                       `json:"StreamViewType"`
		SizeBytes      int                          `json:"SizeBytes"`
	} `json:"dynamodb"`
}

func (r ddbRecord) String() string { return r.EventName + " " + r.DynamoDB.Keys["id"]["S"] }

// streamRecords waits until the function printed a record accepted by
// done, and returns all it printed.
func streamRecords(ctx context.Context, t *testing.T, api *apiclient.Client, function string, done func([]ddbRecord) bool) []ddbRecord {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := logged[ddbRecord](ctx, t, api, function, "GOT ")
		if done(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function printed %v", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func has(id string) func([]ddbRecord) bool {
	return func(rs []ddbRecord) bool {
		for _, r := range rs {
			if r.DynamoDB.Keys["id"]["S"] == id {
				return true
			}
		}
		return false
	}
}

// TestDynamoDBStreamMapping: a table's stream records reach a real
// function through CreateEventSourceMapping, in order, in DynamoDB
// Streams' shape; a batch that keeps failing blocks the later records
// until its retries run out, then goes to the on-failure queue.
func TestDynamoDBStreamMapping(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, db := p.lambda(), p.ddb()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("onchange"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: streamRecorderZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := createStreamTable(ctx, t, db, "users")
	q, err := p.sqs().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ddb-failures")})
	if err != nil {
		t.Fatal(err)
	}
	qarn := "arn:aws:sqs:local:" + p.key.AccountID + ":ddb-failures"

	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn), FunctionName: aws.String("onchange")})
	wantAPIError(t, err, "InvalidParameterValueException") // no StartingPosition
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn + "x"), FunctionName: aws.String("onchange"), StartingPosition: types.EventSourcePositionTrimHorizon})
	wantAPIError(t, err, "InvalidParameterValueException")

	put := func(id string, extra map[string]dtypes.AttributeValue) {
		item := map[string]dtypes.AttributeValue{"id": s(id)}
		for k, v := range extra {
			item[k] = v
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	put("a", nil) // before the mapping: TRIM_HORIZON delivers it
	created, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("onchange"), StartingPosition: types.EventSourcePositionTrimHorizon,
		BatchSize: aws.Int32(1), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(qarn)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.EventSourceArn) != arn || created.StartingPosition != types.EventSourcePositionTrimHorizon ||
		aws.ToInt32(created.MaximumRetryAttempts) != 1 || aws.ToString(created.DestinationConfig.OnFailure.Destination) != qarn {
		t.Fatalf("created %+v", created)
	}
	put("a", map[string]dtypes.AttributeValue{"n": n("2")})
	put("b", nil)
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("users"), Key: map[string]dtypes.AttributeValue{"id": s("a")}}); err != nil {
		t.Fatal(err)
	}
	put("bad", map[string]dtypes.AttributeValue{"fail": &dtypes.AttributeValueMemberBOOL{Value: true}})
	put("c", nil)

	got := streamRecords(ctx, t, p.api(), "onchange", has("c"))
	want := "[INSERT a MODIFY a INSERT b REMOVE a INSERT bad INSERT bad INSERT c]"
	if fmt.Sprint(got) != want {
		t.Fatalf("the function got %v, want %s (in order, the failing record twice)", got, want)
	}
	var prev string
	for i, r := range got {
		if r.EventSource != "aws:dynamodb" || r.EventVersion != "1.1" || r.EventSourceARN != arn || r.AWSRegion != "local" ||
			r.DynamoDB.StreamViewType != "NEW_AND_OLD_IMAGES" || r.DynamoDB.SizeBytes == 0 || r.EventID == "" {
			t.Fatalf("record %d: %+v", i, r)
		}
		if r.DynamoDB.SequenceNumber < prev {
			t.Fatalf("record %d: SequenceNumber %s after %s", i, r.DynamoDB.SequenceNumber, prev)
		}
		prev = r.DynamoDB.SequenceNumber
	}
	if m := got[1].DynamoDB; strings.ReplaceAll(string(m.NewImage["n"]), " ", "") != `{"N":"2"}` || m.OldImage == nil || got[3].DynamoDB.NewImage != nil {
		t.Fatalf("images: MODIFY %+v, REMOVE %+v", got[1].DynamoDB, got[3].DynamoDB)
	}
	msgs := receiveN(t, ctx, p.sqs(), aws.ToString(q.QueueUrl), 1, sqs.ReceiveMessageInput{})
	var failure struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		ResponseContext struct {
			FunctionError string `json:"functionError"`
		} `json:"responseContext"`
		Info struct {
			StartSequenceNumber string `json:"startSequenceNumber"`
			BatchSize           int    `json:"batchSize"`
			StreamARN           string `json:"streamArn"`
		} `json:"DDBStreamBatchInfo"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &failure); err != nil {
		t.Fatal(err)
	}
	if failure.RequestContext.Condition != "RetryAttemptsExhausted" || failure.RequestContext.ApproximateInvokeCount != 2 ||
		failure.ResponseContext.FunctionError == "" || failure.Info.BatchSize != 1 || failure.Info.StreamARN != arn ||
		failure.Info.StartSequenceNumber != got[4].DynamoDB.SequenceNumber {
		t.Fatalf("failure record %s", aws.ToString(msgs[0].Body))
	}
}

func createStreamTable(ctx context.Context, t *testing.T, db *dynamodb.Client, name string) string {
	t.Helper()
	out, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: dtypes.KeyTypeHash}},
		BillingMode:          dtypes.BillingModePayPerRequest,
		StreamSpecification:  &dtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: dtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TableDescription.LatestStreamArn)
}

func (p *platform) api() *apiclient.Client { return apiclient.New(p.endpoint, p.key.APIKey) }

// startIn runs the daemon on dataDir (to restart it on the same data)
// and returns it with its admin API key.
func startIn(t *testing.T, dataDir string) (*daemon.Daemon, string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Listen = "127.0.0.1:0"
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return d, strings.TrimSpace(string(admin))
}

// TestDynamoDBStreamRestart: after a restart every acknowledged item and
// its stream records are there, and a stream mapping resumes after the
// last record it delivered (nothing delivered twice, nothing skipped).
func TestDynamoDBStreamRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	d, admin := startIn(t, dir)
	k, err := apiclient.New("http://"+d.Addr(), admin).CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{endpoint: "http://" + d.Addr(), key: k, daemon: d}
	_, err = p.lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("onchange"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: streamRecorderZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := createStreamTable(ctx, t, p.ddb(), "orders")
	_, err = p.lambda().CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("onchange"), StartingPosition: types.EventSourcePositionLatest,
	})
	if err != nil {
		t.Fatal(err)
	}
	put := func(p *platform, id string) {
		if _, err := p.ddb().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]dtypes.AttributeValue{"id": s(id)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"1", "2", "3"} {
		put(p, id)
	}
	streamRecords(ctx, t, p.api(), "onchange", has("3"))
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}

	d2, _ := startIn(t, dir)
	t.Cleanup(func() {
		if err := d2.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	p2 := &platform{endpoint: "http://" + d2.Addr(), key: k, daemon: d2}
	desc, err := p2.ddb().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if err != nil || aws.ToInt64(desc.Table.ItemCount) != 3 || aws.ToString(desc.Table.LatestStreamArn) != arn {
		t.Fatalf("after the restart: %+v %v", desc, err)
	}
	put(p2, "4")
	got := streamRecords(ctx, t, p2.api(), "onchange", has("4"))
	if fmt.Sprint(got) != "[INSERT 1 INSERT 2 INSERT 3 INSERT 4]" {
		t.Fatalf("the function got %v across the restart", got)
	}
}

// TestDynamoDBStreamBisect: with BisectBatchOnFunctionError a failing
// batch is split in halves until the record at fault is alone; it goes
// to the on-failure queue and the records around it are
// delivered, in order.
func TestDynamoDBStreamBisect(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, db := p.lambda(), p.ddb()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("onchange"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: streamRecorderZip(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := createStreamTable(ctx, t, db, "things")
	q, err := p.sqs().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ddb-failures")})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x1", "bad", "x2"} {
		item := map[string]dtypes.AttributeValue{"id": s(id)}
		if id == "bad" {
			item["fail"] = &dtypes.AttributeValueMemberBOOL{Value: true}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("things"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("onchange"), StartingPosition: types.EventSourcePositionTrimHorizon,
		BatchSize: aws.Int32(3), MaximumBatchingWindowInSeconds: aws.Int32(1), MaximumRetryAttempts: aws.Int32(0),
		BisectBatchOnFunctionError: aws.Bool(true),
		DestinationConfig:          &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:local:" + p.key.AccountID + ":ddb-failures")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := streamRecords(ctx, t, p.api(), "onchange", func(rs []ddbRecord) bool { return len(rs) >= 8 })
	var ids []string
	for _, r := range got {
		ids = append(ids, r.DynamoDB.Keys["id"]["S"])
	}
	if fmt.Sprint(ids) != "[x1 bad x2 x1 bad x2 bad x2]" {
		t.Fatalf("the function got %v, want the batch, then its halves, then the failing half's halves", ids)
	}
	msgs := receiveN(t, ctx, p.sqs(), aws.ToString(q.QueueUrl), 1, sqs.ReceiveMessageInput{})
	body := aws.ToString(msgs[0].Body)
	if !strings.Contains(body, `"batchSize":1`) || !strings.Contains(body, `"startSequenceNumber":"`+got[1].DynamoDB.SequenceNumber+`"`) {
		t.Fatalf("failure record %s", body)
	}
}

// TestDynamoDBStreamPartialFailure: with ReportBatchItemFailures the
// mapping checkpoints before the first reported record and retries from
// there; when the retries run out, the rest of the batch goes to the
// on-failure queue.
func TestDynamoDBStreamPartialFailure(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, db := p.lambda(), p.ddb()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("onchange"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": `import json
def handler(event, context):
    failures = []
    for r in event["Records"]:
        print("GOT " + json.dumps(r, sort_keys=True))
        if "fail" in r["dynamodb"].get("NewImage", {}):
            failures.append({"itemIdentifier": r["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
`})},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := createStreamTable(ctx, t, db, "things")
	q, err := p.sqs().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ddb-failures")})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x1", "bad", "x2"} {
		item := map[string]dtypes.AttributeValue{"id": s(id)}
		if id == "bad" {
			item["fail"] = &dtypes.AttributeValueMemberBOOL{Value: true}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("things"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(arn), FunctionName: aws.String("onchange"), StartingPosition: types.EventSourcePositionTrimHorizon,
		BatchSize: aws.Int32(3), MaximumBatchingWindowInSeconds: aws.Int32(1), MaximumRetryAttempts: aws.Int32(1),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		DestinationConfig:     &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:local:" + p.key.AccountID + ":ddb-failures")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := streamRecords(ctx, t, p.api(), "onchange", func(rs []ddbRecord) bool { return len(rs) >= 5 })
	var ids []string
	for _, r := range got {
		ids = append(ids, r.DynamoDB.Keys["id"]["S"])
	}
	if fmt.Sprint(ids) != "[x1 bad x2 bad x2]" {
		t.Fatalf("the function got %v, want the batch, then the batch from the reported record on", ids)
	}
	msgs := receiveN(t, ctx, p.sqs(), aws.ToString(q.QueueUrl), 1, sqs.ReceiveMessageInput{})
	body := aws.ToString(msgs[0].Body)
	if !strings.Contains(body, `"batchSize":2`) || !strings.Contains(body, `"startSequenceNumber":"`+got[1].DynamoDB.SequenceNumber+`"`) ||
		!strings.Contains(body, `"condition":"RetryAttemptsExhausted"`) {
		t.Fatalf("failure record %s", body)
	}
}
