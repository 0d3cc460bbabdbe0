package compat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestAWSLambdaGoFunction deploys a function built with aws-lambda-go
// through CreateFunction (provided.al2023) and checks it behaves as on
// Lambda: lambdacontext is filled, ClientContext arrives, a returned error
// has Lambda's shape and errorType.
func TestAWSLambdaGoFunction(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, "./testdata/golambda")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("gofn"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("r"), MemorySize: aws.Int32(256), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"bootstrap": string(exe)})},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"tenant":"blue"}}`))
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("gofn"), Payload: []byte(`{}`), ClientContext: aws.String(cc)})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got struct {
		RequestID, ARN, Function, Version string
		MemoryMB                          int
		Custom                            map[string]string
		HasDeadline                       bool
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil || out.FunctionError != nil {
		t.Fatalf("reply %s: %v", out.Payload, err)
	}
	if got.RequestID == "" || got.Function != "gofn" || got.Version != "$LATEST" || got.MemoryMB != 256 ||
		got.Custom["tenant"] != "blue" || !got.HasDeadline || filepath.Base(got.ARN) == "" {
		t.Errorf("lambdacontext: %+v", got)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("gofn"), Payload: []byte(`{"fail":true}`)})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var fe struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || json.Unmarshal(out.Payload, &fe) != nil ||
		fe.ErrorType != "badInput" || fe.ErrorMessage != "bad input: asked to fail" {
		t.Errorf("function error %q: %s", aws.ToString(out.FunctionError), out.Payload)
	}
}
