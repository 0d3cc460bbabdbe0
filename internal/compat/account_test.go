package compat

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestAccountIDInARNs: the tenant's 12-digit account id is in every ARN,
// in `keys create`'s reply and in GetAccountSettings; a function is
// reachable by name, partial ARN and full ARN (any region), and the
// runtime is reported as Lambda names it.
func TestAccountIDInARNs(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	account := p.key.AccountID
	if account != fn.AccountID("default") || !fn.IsAccountID(account) {
		t.Fatalf("keys create: account id %q", account)
	}
	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("acct"), Runtime: types.Runtime("python3"), Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "v1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:local:" + account + ":function:acct"
	if aws.ToString(created.FunctionArn) != arn || created.Runtime != types.RuntimePython311 {
		t.Fatalf("created %s runtime %s, want %s python3.11", aws.ToString(created.FunctionArn), created.Runtime, arn)
	}
	for _, name := range []string{"acct", account + ":function:acct", arn, "arn:aws:lambda:us-east-1:" + account + ":function:acct",
		account + ":function:acct:$LATEST", arn + ":$LATEST"} {
		got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Errorf("GetFunction %s: %v", name, err)
			continue
		}
		if aws.ToString(got.Configuration.FunctionArn) != arn {
			t.Errorf("GetFunction %s: FunctionArn %s", name, aws.ToString(got.Configuration.FunctionArn))
		}
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(account + ":function:acct")})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("Invoke by partial ARN: %v %v", err, out)
	}
	// Another account's id is not found; a malformed one is a bad parameter.
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:local:123456789012:function:acct")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("123456789012:function:acct")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:local:default:function:acct")})
	wantAPIError(t, err, "InvalidParameterValueException")
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"k": "v"}}); err != nil {
		t.Errorf("TagResource by own ARN: %v", err)
	}

	req, _ := http.NewRequest("GET", p.endpoint+"/2016-08-19/account-settings", nil)
	req.Header.Set("Authorization", "Bearer "+p.key.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var settings struct{ AccountId string }
	err = json.NewDecoder(resp.Body).Decode(&settings)
	resp.Body.Close()
	if err != nil || settings.AccountId != account {
		t.Errorf("GetAccountSettings AccountId %q (%v), want %s", settings.AccountId, err, account)
	}
	if _, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); err != nil {
		t.Errorf("SDK GetAccountSettings: %v", err)
	}

	// A short name is reported as Lambda's; a newer interpreter's name is refused.
	up, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("acct"), Runtime: types.RuntimePython312})
	if err != nil || up.Runtime != types.RuntimePython312 {
		t.Fatalf("UpdateFunctionConfiguration python3.12: %v %v", err, up)
	}
	// The function sees Lambda's execution environment name.
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("acct"), ZipFile: zipOf(t, map[string]string{"app.py": `import os
def handler(event, context):
    return os.environ.get("AWS_EXECUTION_ENV", "")
`})}); err != nil {
		t.Fatal(err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("acct")})
	if err != nil || string(out.Payload) != `"AWS_Lambda_python3.12"` {
		t.Fatalf("AWS_EXECUTION_ENV: %v %s", err, out.Payload)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("acct"), Runtime: types.RuntimePython313})
	wantAPIError(t, err, "InvalidParameterValueException")
	if err != nil && !strings.Contains(err.Error(), "python3.12") {
		t.Errorf("python3.13 refused without naming what to use: %v", err)
	}
}
