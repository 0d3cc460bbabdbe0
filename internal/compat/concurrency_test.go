package compat

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// TestConcurrency: reserved concurrency throttles (0 stops all calls);
// provisioned concurrency on an alias keeps instances warm.
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
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fname, Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	pc, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: fname, Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	if err != nil || aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 2 {
		t.Fatalf("PutProvisionedConcurrencyConfig: %v %+v", err, pc)
	}
	// READY only once both instances are up, and they are.
	gp := waitProvisioned(ctx, t, c, fname, "live")
	if aws.ToInt32(gp.AvailableProvisionedConcurrentExecutions) != 2 {
		t.Fatalf("READY with %d available, want 2", aws.ToInt32(gp.AvailableProvisionedConcurrentExecutions))
	}
	in, err := apiclient.New(p.endpoint, p.key.APIKey).Instances(ctx, "conc")
	if err != nil {
		t.Fatal(err)
	}
	provisioned := 0
	for _, i := range in.Instances {
		if i.Provisioned && i.State == "provisioned" {
			provisioned++
		}
	}
	if provisioned != 2 {
		t.Fatalf("instances: %d provisioned and idle, want 2: %+v", provisioned, in.Instances)
	}
	// The next call through the alias finds a warm instance: no Init
	// Duration in its REPORT line.
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: fname, Qualifier: aws.String("live"), LogType: types.LogTypeTail})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke live: %v", err)
	}
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !strings.Contains(string(tail), "REPORT RequestId") || strings.Contains(string(tail), "Init Duration") {
		t.Fatalf("the call on a provisioned instance was cold:\n%s", tail)
	}
	lp, err := c.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: fname})
	if err != nil || len(lp.ProvisionedConcurrencyConfigs) != 1 || aws.ToInt32(lp.ProvisionedConcurrencyConfigs[0].RequestedProvisionedConcurrentExecutions) != 2 {
		t.Fatalf("ListProvisionedConcurrencyConfigs: %v %+v", err, lp)
	}
	if _, err := c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: fname, Qualifier: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: fname, Qualifier: aws.String("live")})
	wantAPIError(t, err, "ProvisionedConcurrencyConfigNotFoundException")
}

// waitProvisioned polls GetProvisionedConcurrencyConfig until READY, as a
// Lambda user does after PutProvisionedConcurrencyConfig.
func waitProvisioned(ctx context.Context, t *testing.T, c *lambda.Client, fname *string, q string) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	for {
		gp, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: fname, Qualifier: aws.String(q)})
		if err != nil {
			t.Fatalf("GetProvisionedConcurrencyConfig: %v", err)
		}
		switch gp.Status {
		case types.ProvisionedConcurrencyStatusEnumReady:
			return gp
		case types.ProvisionedConcurrencyStatusEnumFailed:
			t.Fatalf("provisioning failed: %s", aws.ToString(gp.StatusReason))
		}
		select {
		case <-ctx.Done():
			t.Fatalf("never READY: %s", gp.Status)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
