package compat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaLifecycle drives create → get → list → update → invoke → tag →
// delete through the real AWS SDK client, signed with SigV4.
func TestLambdaLifecycle(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	code := pythonZip(t, "v1")
	created, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:     aws.String("hello"),
		Runtime:          types.RuntimePython312,
		Handler:          aws.String("app.handler"),
		Role:             aws.String("arn:aws:iam::123456789012:role/lambda-role"),
		Description:      aws.String("says hello"),
		MemorySize:       aws.Int32(256),
		Timeout:          aws.Int32(10),
		Environment:      &types.Environment{Variables: map[string]string{"GREETING": "hi"}},
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(1024)},
		Tags:             map[string]string{"team": "core"},
		Code:             &types.FunctionCode{ZipFile: code},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	sum := sha256.Sum256(code)
	if got, want := aws.ToString(created.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 %s, want %s (base64 of the digest)", got, want)
	}
	if created.Runtime != types.RuntimePython312 || aws.ToString(created.Handler) != "app.handler" ||
		aws.ToInt32(created.MemorySize) != 256 || aws.ToInt32(created.Timeout) != 10 ||
		aws.ToString(created.Description) != "says hello" || created.State != types.StateActive ||
		created.LastUpdateStatus != types.LastUpdateStatusSuccessful || created.PackageType != types.PackageTypeZip ||
		aws.ToString(created.Version) != "$LATEST" || aws.ToInt32(created.EphemeralStorage.Size) != 1024 ||
		aws.ToString(created.Role) != "arn:aws:iam::123456789012:role/lambda-role" ||
		created.Environment.Variables["GREETING"] != "hi" || aws.ToInt64(&created.CodeSize) != int64(len(code)) {
		t.Errorf("CreateFunction returned %+v", created)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(created.LastModified)); err != nil {
		t.Errorf("LastModified %q: %v", aws.ToString(created.LastModified), err)
	}
	arn := aws.ToString(created.FunctionArn)
	if !strings.HasPrefix(arn, "arn:aws:lambda:") || !strings.HasSuffix(arn, ":function:hello") {
		t.Errorf("FunctionArn %s", arn)
	}

	// Creating it again is a conflict.
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("hello"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: code},
	})
	wantAPIError(t, err, "ResourceConflictException")

	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	if aws.ToString(got.Configuration.FunctionName) != "hello" || aws.ToString(got.Code.RepositoryType) != "S3" ||
		aws.ToString(got.Code.Location) == "" || got.Tags["team"] != "core" {
		t.Errorf("GetFunction returned %+v %+v %v", got.Configuration, got.Code, got.Tags)
	}
	// By ARN too.
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetFunctionConfiguration: %v", err)
	}
	if aws.ToString(cfg.RevisionId) != aws.ToString(created.RevisionId) {
		t.Errorf("RevisionId changed without a change: %s then %s", aws.ToString(created.RevisionId), aws.ToString(cfg.RevisionId))
	}

	// Invoke synchronously, with the log tail.
	inv, err := c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("hello"), Payload: []byte(`{"n":1}`), LogType: types.LogTypeTail,
	})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var out struct {
		Version string         `json:"version"`
		Event   map[string]any `json:"event"`
		Env     string         `json:"env"`
	}
	if err := json.Unmarshal(inv.Payload, &out); err != nil || out.Version != "v1" || out.Env != "hi" || out.Event["n"] != 1.0 {
		t.Errorf("Invoke payload %s (%v)", inv.Payload, err)
	}
	if inv.StatusCode != 200 || aws.ToString(inv.ExecutedVersion) != "$LATEST" || inv.FunctionError != nil {
		t.Errorf("Invoke: status %d, version %s, error %v", inv.StatusCode, aws.ToString(inv.ExecutedVersion), inv.FunctionError)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(inv.LogResult))
	if err != nil || !bytes.Contains(tail, []byte("hello from the log of v1")) || !bytes.Contains(tail, []byte("REPORT RequestId:")) {
		t.Errorf("LogResult %q (%v)", tail, err)
	}

	// A function error is a 200 with X-Amz-Function-Error.
	inv, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hello"), Payload: []byte(`{"fail":true}`)})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if aws.ToString(inv.FunctionError) != "Unhandled" || !bytes.Contains(inv.Payload, []byte(`"errorType"`)) {
		t.Errorf("failing Invoke: error %q payload %s", aws.ToString(inv.FunctionError), inv.Payload)
	}

	// DryRun checks and runs nothing.
	inv, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hello"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || inv.StatusCode != 204 {
		t.Fatalf("DryRun: %v, status %d", err, inv.StatusCode)
	}

	// Update the code, then the configuration.
	code2 := pythonZip(t, "v2")
	upd, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("hello"), ZipFile: code2})
	if err != nil {
		t.Fatalf("UpdateFunctionCode: %v", err)
	}
	sum = sha256.Sum256(code2)
	if aws.ToString(upd.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || aws.ToInt32(upd.MemorySize) != 256 ||
		aws.ToString(upd.Description) != "says hello" || aws.ToString(upd.RevisionId) == aws.ToString(created.RevisionId) {
		t.Errorf("UpdateFunctionCode returned %+v", upd)
	}
	updc, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("hello"), MemorySize: aws.Int32(512), Timeout: aws.Int32(20),
		Environment: &types.Environment{Variables: map[string]string{"GREETING": "hey"}},
		RevisionId:  upd.RevisionId,
	})
	if err != nil {
		t.Fatalf("UpdateFunctionConfiguration: %v", err)
	}
	if aws.ToInt32(updc.MemorySize) != 512 || aws.ToInt32(updc.Timeout) != 20 || updc.Runtime != types.RuntimePython312 ||
		aws.ToString(updc.CodeSha256) != aws.ToString(upd.CodeSha256) {
		t.Errorf("UpdateFunctionConfiguration returned %+v", updc)
	}
	// A stale RevisionId is refused.
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("hello"), Timeout: aws.Int32(5), RevisionId: upd.RevisionId,
	})
	wantAPIError(t, err, "PreconditionFailedException")
	inv, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hello")})
	if err != nil {
		t.Fatalf("Invoke after update: %v", err)
	}
	if err := json.Unmarshal(inv.Payload, &out); err != nil || out.Version != "v2" || out.Env != "hey" {
		t.Errorf("Invoke after update: %s", inv.Payload)
	}

	// Tags.
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"stage": "dev"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTags: %v", err)
	}
	if len(tags.Tags) != 1 || tags.Tags["stage"] != "dev" {
		t.Errorf("ListTags: %v", tags.Tags)
	}

	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatalf("GetAccountSettings: %v", err)
	}
	if acct.AccountUsage.FunctionCount != 1 || acct.AccountUsage.TotalCodeSize != int64(len(code2)) || acct.AccountLimit.CodeSizeZipped != 50<<20 {
		t.Errorf("GetAccountSettings: %+v %+v", acct.AccountLimit, acct.AccountUsage)
	}

	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("hello")}); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	wantAPIError(t, err, "ResourceNotFoundException")
}

// TestListFunctionsPagination pages through functions with Marker/MaxItems.
func TestListFunctionsPagination(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := pythonZip(t, "v1")
	names := []string{"f1", "f2", "f3", "f4", "f5"}
	for _, n := range names {
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(n), Runtime: types.RuntimeNodejs20x, Handler: aws.String("index.handler"),
			Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": "exports.handler = async () => 1;\n"})},
		})
		if err != nil {
			t.Fatalf("CreateFunction %s: %v", n, err)
		}
	}
	_ = code
	var seen []string
	pages := 0
	pg := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListFunctions: %v", err)
		}
		pages++
		if len(out.Functions) > 2 {
			t.Errorf("page of %d functions, MaxItems 2", len(out.Functions))
		}
		for _, f := range out.Functions {
			seen = append(seen, aws.ToString(f.FunctionName))
			if f.Runtime != types.RuntimeNodejs20x {
				t.Errorf("%s: Runtime %s", aws.ToString(f.FunctionName), f.Runtime)
			}
		}
	}
	if strings.Join(seen, ",") != strings.Join(names, ",") || pages != 3 {
		t.Errorf("listed %v in %d pages", seen, pages)
	}
}
