package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// TestInvokeEvent: InvocationType Event answers 202 once the event is
// stored, and the function then runs (its log line shows up); a failing
// function is retried.
func TestInvokeEvent(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("ev"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "v1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("ev"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"async":"yes"}`),
	})
	if err != nil {
		t.Fatalf("Invoke Event: %v", err)
	}
	if out.StatusCode != 202 {
		t.Fatalf("status %d", out.StatusCode)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("ev"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":true}`),
	})
	if err != nil {
		t.Fatalf("Invoke Event: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope"), InvocationType: types.InvocationTypeEvent})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("ev"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`"` + strings.Repeat("x", fn.MaxAsyncPayload) + `"`),
	})
	wantAPIError(t, err, "RequestTooLargeException")

	// The successful event ran once; the failing one ran three times (two
	// retries, as Lambda does), about 1 s + 2 s apart.
	api := apiclient.New(p.endpoint, p.key.APIKey)
	deadline := time.Now().Add(60 * time.Second)
	for {
		starts := 0
		ran := false
		err := api.Logs(ctx, "ev", "", false, func(e fn.LogEntry) error {
			if strings.HasPrefix(e.Message, "START RequestId:") {
				starts++
			}
			if strings.Contains(e.Message, "hello from the log of v1") {
				ran = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ran && starts == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ran %v, %d starts", ran, starts)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
