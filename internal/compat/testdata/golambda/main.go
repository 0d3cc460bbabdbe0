// Command golambda is an aws-lambda-go function deployed through
// CreateFunction by the compat tests: it reports what lambdacontext says
// and returns a typed error on request.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Fail bool `json:"fail"`
}

type reply struct {
	RequestID  string            `json:"requestId"`
	ARN        string            `json:"arn"`
	Function   string            `json:"function"`
	Version    string            `json:"version"`
	MemoryMB   int               `json:"memoryMB"`
	Custom     map[string]string `json:"custom"`
	HasTimeout bool              `json:"hasDeadline"`
}

type badInput struct{ why string }

func (e *badInput) Error() string { return "bad input: " + e.why }

func handle(ctx context.Context, ev event) (*reply, error) {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("no lambda context")
	}
	if ev.Fail {
		return nil, &badInput{why: "asked to fail"}
	}
	_, hasDeadline := ctx.Deadline()
	fmt.Fprintln(os.Stderr, "go function ran", lc.AwsRequestID)
	return &reply{
		RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn, Function: lambdacontext.FunctionName,
		Version: lambdacontext.FunctionVersion, MemoryMB: lambdacontext.MemoryLimitInMB,
		Custom: lc.ClientContext.Custom, HasTimeout: hasDeadline,
	}, nil
}

func main() { lambda.Start(handle) }
