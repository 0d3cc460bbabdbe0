package compat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const urlFunction = `import json, base64
def handler(event, context):
    path = event["rawPath"]
    if path == "/plain":
        return {"plain": True}
    if path == "/boom":
        raise RuntimeError("boom")
    body = event.get("body", "")
    if event.get("isBase64Encoded"):
        body = "b64:" + base64.b64decode(body).hex()
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-Echo": event["headers"].get("x-in", "")},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": json.dumps({"version": event["version"], "method": event["requestContext"]["http"]["method"],
            "path": path, "query": event.get("queryStringParameters"), "raw": event["rawQueryString"],
            "cookies": event.get("cookies"), "body": body}),
    }
`

// TestFunctionURL creates a function URL with the SDK and calls it with
// plain HTTP: the function sees an API Gateway v2 event and its result
// maps back to status, headers, cookies and body.
func TestFunctionURL(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fname := aws.String("web")
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: fname, Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": urlFunction})},
	}); err != nil {
		t.Fatal(err)
	}
	u, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: fname, AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatalf("CreateFunctionUrlConfig: %v", err)
	}
	url := aws.ToString(u.FunctionUrl)
	if !strings.HasPrefix(url, p.endpoint+"/url/") || !strings.HasSuffix(url, "/") {
		t.Fatalf("FunctionUrl %s", url)
	}
	_, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: fname, AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, err, "ResourceConflictException")

	// A full response.
	req, _ := http.NewRequest("POST", url+"echo/x?b=2&a=1&a=3", strings.NewReader("hello"))
	req.Header.Set("X-In", "ping")
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Version, Method, Path, Raw, Body string
		Query                            map[string]string
		Cookies                          []string
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	if resp.StatusCode != 201 || resp.Header.Get("X-Echo") != "ping" || resp.Header.Get("Content-Type") != "text/plain" ||
		len(resp.Header.Values("Set-Cookie")) != 2 {
		t.Errorf("reply %d %v", resp.StatusCode, resp.Header)
	}
	if got.Version != "2.0" || got.Method != "POST" || got.Path != "/echo/x" || got.Query["a"] != "1,3" ||
		got.Raw != "b=2&a=1&a=3" || got.Body != "hello" || strings.Join(got.Cookies, ";") != "c1=v1;c2=v2" {
		t.Errorf("event as the function saw it: %+v", got)
	}
	// Binary bodies arrive base64-encoded.
	resp, err = http.Post(url+"bin", "application/octet-stream", strings.NewReader("\x00\x01"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"body": "b64:0001"`) {
		t.Errorf("binary body: %s", body)
	}
	// A plain result is a 200 application/json.
	resp, err = http.Get(url + "plain")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `"plain": true`) {
		t.Errorf("plain: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// A function error is a 502.
	resp, err = http.Get(url + "boom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Errorf("boom: %d", resp.StatusCode)
	}

	// AWS_IAM needs a signature or key of the function's tenant.
	if _, err := c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: fname, AuthType: types.FunctionUrlAuthTypeAwsIam}); err != nil {
		t.Fatalf("UpdateFunctionUrlConfig: %v", err)
	}
	resp, err = http.Get(url + "plain")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("AWS_IAM without a key: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", url+"plain", nil)
	req.Header.Set("Authorization", "Bearer "+p.key.APIKey)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("AWS_IAM with a key: %d", resp.StatusCode)
	}
	gu, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: fname})
	if err != nil || gu.AuthType != types.FunctionUrlAuthTypeAwsIam || aws.ToString(gu.FunctionUrl) != url {
		t.Fatalf("GetFunctionUrlConfig: %v", err)
	}
	lu, err := c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: fname})
	if err != nil || len(lu.FunctionUrlConfigs) != 1 {
		t.Fatalf("ListFunctionUrlConfigs: %v", err)
	}
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: fname}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(url + "plain")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("deleted URL: %d", resp.StatusCode)
	}
}
