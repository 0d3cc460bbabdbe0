package compat

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestConcurrency: reserved concurrency throttles (0 stops all calls);
// provisioned concurrency is stored and reported.
func TestConcurrency(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fname := aws.String("conc")
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: fname, Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "v1")},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: fname})
	if err != nil || got.ReservedConcurrentExecutions != nil {
		t.Fatalf("GetFunctionConcurrency before: %v %v", err, got)
	}
	put, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: fname, ReservedConcurrentExecutions: aws.Int32(0)})
	if err != nil || aws.ToInt32(put.ReservedConcurrentExecutions) != 0 {
		t.Fatalf("PutFunctionConcurrency: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: fname})
	var tmr *types.TooManyRequestsException
	if !errors.As(err, &tmr) || tmr.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Fatalf("Invoke at reserved 0: %v", err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: fname, ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: fname}); err != nil || aws.ToInt32(got.ReservedConcurrentExecutions) != 5 {
		t.Fatalf("GetFunctionConcurrency: %v", err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: fname}); err != nil {
		t.Fatalf("Invoke at reserved 5: %v", err)
	}
	if gf, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fname}); err != nil || gf.Concurrency == nil || aws.ToInt32(gf.Concurrency.ReservedConcurrentExecutions) != 5 {
		t.Fatalf("GetFunction Concurrency: %v", err)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: fname}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: fname}); err != nil || got.ReservedConcurrentExecutions != nil {
		t.Fatalf("GetFunctionConcurrency after delete: %v", err)
	}
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: fname, ReservedConcurrentExecutions: aws.Int32(-1)})
	wantAPIError(t, err, "InvalidParameterValueException")

	// Provisioned concurrency needs a version or alias.
	_, err = c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: fname, Qualifier: aws.String("$LATEST"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	wantAPIError(t, err, "InvalidParameterValueException")
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fname}); err != nil {
		t.Fatal(err)
	}
	pc, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: fname, Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	if err != nil || aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 2 || pc.Status != types.ProvisionedConcurrencyStatusEnumReady {
		t.Fatalf("PutProvisionedConcurrencyConfig: %v %+v", err, pc)
	}
	gp, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: fname, Qualifier: aws.String("1")})
	if err != nil || aws.ToInt32(gp.RequestedProvisionedConcurrentExecutions) != 2 {
		t.Fatalf("GetProvisionedConcurrencyConfig: %v", err)
	}
	lp, err := c.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: fname})
	if err != nil || len(lp.ProvisionedConcurrencyConfigs) != 1 || aws.ToInt32(lp.ProvisionedConcurrencyConfigs[0].RequestedProvisionedConcurrentExecutions) != 2 {
		t.Fatalf("ListProvisionedConcurrencyConfigs: %v %+v", err, lp)
	}
	if _, err := c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: fname, Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: fname, Qualifier: aws.String("1")})
	wantAPIError(t, err, "ProvisionedConcurrencyConfigNotFoundException")
}
