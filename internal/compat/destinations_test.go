package compat

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// sinkZip is a Python function that logs each event it gets on one line
// after "EVENT ".
func sinkZip(t *testing.T) []byte {
	return zipOf(t, map[string]string{"app.py": `import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return "ok"
`})
}

// loggedEvents returns the events fn logged with sinkZip's prefix.
func loggedEvents(t *testing.T, ctx context.Context, api *apiclient.Client, name string) []map[string]any {
	t.Helper()
	return logged[map[string]any](ctx, t, api, name, "EVENT ")
}

// TestEventInvokeConfigAndDestinations drives Lambda's
// FunctionEventInvokeConfig API with the real SDK, then checks that
// asynchronous results reach their destinations in Lambda's record shape
// and that a failed event with nowhere to go is kept visible.
func TestEventInvokeConfigAndDestinations(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	p := start(t)
	c := p.lambda()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	arns := map[string]string{}
	for name, code := range map[string][]byte{"worker": pythonZip(t, "v1"), "sink": sinkZip(t), "lonely": pythonZip(t, "v1")} {
		out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
			Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: code},
		})
		if err != nil {
			t.Fatal(err)
		}
		arns[name] = *out.FunctionArn
	}

	// Validation, in Lambda's words and types.
	_, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("worker"), MaximumRetryAttempts: aws.Int32(3),
	})
	wantAPIError(t, err, "InvalidParameterValueException")
	_, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName:      aws.String("worker"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(arns["sink"] + "x")}},
	})
	wantAPIError(t, err, "InvalidParameterValueException")
	_, err = c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("worker")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")

	put, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("worker"), MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &types.DestinationConfig{
			OnSuccess: &types.OnSuccess{Destination: aws.String(arns["sink"])},
			OnFailure: &types.OnFailure{Destination: aws.String(arns["sink"])},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *put.FunctionArn != arns["worker"]+":$LATEST" || *put.MaximumRetryAttempts != 0 || put.LastModified == nil ||
		time.Since(*put.LastModified) > time.Minute {
		t.Fatalf("put returned %+v", put)
	}
	upd, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName: aws.String("worker"), MaximumEventAgeInSeconds: aws.Int32(600),
	})
	if err != nil {
		t.Fatal(err)
	}
	if *upd.MaximumEventAgeInSeconds != 600 || *upd.MaximumRetryAttempts != 0 || *upd.DestinationConfig.OnSuccess.Destination != arns["sink"] {
		t.Fatalf("update lost fields: %+v", upd)
	}
	list, err := c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("worker")})
	if err != nil || len(list.FunctionEventInvokeConfigs) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}

	// One success and one failure reach the sink as destination records.
	for _, payload := range []string{`{"n":1}`, `{"fail":true}`} {
		if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("worker"), InvocationType: types.InvocationTypeEvent, Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []map[string]any
	for deadline := time.Now().Add(90 * time.Second); len(got) < 2; time.Sleep(300 * time.Millisecond) {
		if got = loggedEvents(t, ctx, api, "sink"); time.Now().After(deadline) {
			t.Fatalf("the sink got %d records: %v", len(got), got)
		}
	}
	conditions := map[string]map[string]any{}
	for _, rec := range got {
		rc := rec["requestContext"].(map[string]any)
		conditions[rc["condition"].(string)] = rec
		if rec["version"] != "1.0" || rc["functionArn"] != arns["worker"]+":$LATEST" || rc["approximateInvokeCount"] != 1.0 {
			t.Fatalf("record %v", rec)
		}
	}
	ok, failed := conditions["Success"], conditions["RetriesExhausted"]
	if ok == nil || failed == nil {
		t.Fatalf("records %v, want a Success and a RetriesExhausted one", got)
	}
	if ok["responsePayload"].(map[string]any)["version"] != "v1" || ok["requestPayload"].(map[string]any)["n"] != 1.0 {
		t.Fatalf("success record %v", ok)
	}
	if failed["responseContext"].(map[string]any)["functionError"] != "Unhandled" ||
		!strings.Contains(failed["responsePayload"].(map[string]any)["errorMessage"].(string), "asked to fail") {
		t.Fatalf("failure record %v", failed)
	}

	// With no destination, a failed event is kept where the user sees it.
	if _, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("lonely"), MaximumRetryAttempts: aws.Int32(0),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("lonely"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":true}`)}); err != nil {
		t.Fatal(err)
	}
	var kept []apiclient.FailedEvent
	for deadline := time.Now().Add(60 * time.Second); len(kept) == 0; time.Sleep(300 * time.Millisecond) {
		if kept, err = api.FailedEvents(ctx, "lonely", 10); err != nil || time.Now().After(deadline) {
			t.Fatalf("failed events: %v %v", kept, err)
		}
	}
	if kept[0].Condition != "RetriesExhausted" || kept[0].Attempts != 1 || string(kept[0].Payload) != `{"fail":true}` || !strings.Contains(string(kept[0].Error), "asked to fail") {
		t.Fatalf("kept %+v", kept[0])
	}

	// A function's dead-letter queue gets the original event; an
	// on-failure destination queue gets the record.
	q := p.sqs()
	queueURL := func(name string) string {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	dlqURL, failURL := queueURL("lonely-dlq"), queueURL("worker-failures")
	account := strings.Split(arns["worker"], ":")[4]
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("lonely"), DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:local:" + account + ":nope")},
	})
	wantAPIError(t, err, "InvalidParameterValueException")
	cfg, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("lonely"), DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:local:" + account + ":lonely-dlq")},
	})
	if err != nil || cfg.DeadLetterConfig == nil || aws.ToString(cfg.DeadLetterConfig.TargetArn) != "arn:aws:sqs:local:"+account+":lonely-dlq" {
		t.Fatalf("DeadLetterConfig: %+v %v", cfg, err)
	}
	if _, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName:      aws.String("worker"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:local:" + account + ":worker-failures")}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lonely", "worker"} {
		if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":"` + name + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	receiveOne := func(url string) string {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive from %s: %+v %v", url, out, err)
		}
		return aws.ToString(out.Messages[0].Body)
	}
	if body := receiveOne(dlqURL); body != `{"fail":"lonely"}` {
		t.Fatalf("the dead-letter queue got %s, want the original event", body)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(receiveOne(failURL)), &rec); err != nil || rec["requestContext"].(map[string]any)["condition"] != "RetriesExhausted" ||
		rec["requestPayload"].(map[string]any)["fail"] != "worker" {
		t.Fatalf("the on-failure queue got %v (%v)", rec, err)
	}

	if _, err := c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("worker")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("worker")})
	wantAPIError(t, err, "ResourceNotFoundException")
}
