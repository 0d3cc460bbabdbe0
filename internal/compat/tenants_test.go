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

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// TestTenantsAndAdminCredentials: the admin pair in admin.credentials
// works with the SDK; another tenant's key pair sees none of it.
func TestTenantsAndAdminCredentials(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data, err := os.ReadFile(p.daemon.AdminCredentialsPath())
	if err != nil {
		t.Fatal(err)
	}
	var id, secret string
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	admin := p.client(id, secret)
	created, err := admin.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("mine"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "v1")},
	})
	if err != nil {
		t.Fatalf("CreateFunction with admin.credentials: %v", err)
	}

	adminKey, err := os.ReadFile(p.daemon.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := p.tenantKey(ctx, t, strings.TrimSpace(string(adminKey)), "team-b")
	if err != nil {
		t.Fatal(err)
	}
	b := p.client(kb.AccessKeyID, kb.SecretAccessKey)
	list, err := b.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 0 {
		t.Fatalf("team-b lists: %v %v", err, list)
	}
	_, err = b.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("mine")})
	wantAPIError(t, err, "ResourceNotFoundException")
	// Another tenant's ARN is not found (nothing says whether it exists),
	// even where team-b has a function of that name.
	if _, err := b.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("mine"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "b")},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = b.Invoke(ctx, &lambda.InvokeInput{FunctionName: created.FunctionArn})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = b.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: created.FunctionArn})
	wantAPIError(t, err, "ResourceNotFoundException")
	partial := strings.TrimPrefix(aws.ToString(created.FunctionArn), "arn:aws:lambda:local:")
	_, err = b.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(partial)})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = b.TagResource(ctx, &lambda.TagResourceInput{Resource: created.FunctionArn, Tags: map[string]string{"x": "y"}})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = b.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: created.FunctionArn})
	wantAPIError(t, err, "ResourceNotFoundException")
	// team-b's own key cannot mint keys for the default tenant: for it,
	// no other tenant exists.
	_, err = apiclient.New(p.endpoint, kb.APIKey).CreateKey(ctx, "default")
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("team-b made a default key: %v", err)
	}
	if _, err := admin.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("mine")}); err != nil {
		t.Fatal(err)
	}
}
