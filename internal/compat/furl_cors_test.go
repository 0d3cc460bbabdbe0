package compat

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// corsFunction answers every request itself with 418 and CORS headers of
// its own, so a test sees who answered and whose headers won.
const corsFunction = `def handler(event, context):
    return {"statusCode": 418, "headers": {"Access-Control-Allow-Origin": "https://evil.example",
        "access-control-expose-headers": "X-Secret", "X-Fn": "yes"},
        "body": event["requestContext"]["http"]["method"]}
`

// TestFunctionURLCORS: the URL's CORS configuration is applied by the
// platform, with plain HTTP as a browser sends it.
func TestFunctionURLCORS(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fname := aws.String("corsy")
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: fname, Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": corsFunction})},
	}); err != nil {
		t.Fatal(err)
	}
	// Invalid configurations are refused with Lambda's limits.
	for _, bad := range []*types.Cors{
		{AllowMethods: []string{"TRACE"}},
		{MaxAge: aws.Int32(86401)},
		{AllowOrigins: []string{""}},
	} {
		_, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: fname, AuthType: types.FunctionUrlAuthTypeNone, Cors: bad})
		wantAPIError(t, err, "InvalidParameterValueException")
	}
	u, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: fname, AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{
			AllowOrigins: []string{"https://app.example", "http://localhost:5173/"}, AllowMethods: []string{"GET", "PUT"},
			AllowHeaders: []string{"x-custom", "content-type"}, ExposeHeaders: []string{"x-fn", "x-request-id"},
			MaxAge: aws.Int32(600), AllowCredentials: aws.Bool(true),
		},
	})
	if err != nil {
		t.Fatalf("CreateFunctionUrlConfig: %v", err)
	}
	url := aws.ToString(u.FunctionUrl)
	if u.Cors == nil || len(u.Cors.AllowOrigins) != 2 || aws.ToInt32(u.Cors.MaxAge) != 600 {
		t.Errorf("Cors reported back: %+v", u.Cors)
	}

	// An allowed preflight is answered by the platform.
	resp, body := send(t, "OPTIONS", url+"items/1", map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-custom",
	})
	wantHeaders(t, "allowed preflight", resp, body, 200, map[string]string{
		"Access-Control-Allow-Origin": "https://app.example", "Access-Control-Allow-Methods": "GET, PUT",
		"Access-Control-Allow-Headers": "x-custom, content-type", "Access-Control-Max-Age": "600",
		"Access-Control-Allow-Credentials": "true", "X-Fn": "", "Vary": "Origin",
	})
	if body != "" {
		t.Errorf("preflight body %q: the function answered it", body)
	}
	// An origin matches case-insensitively and without the configured trailing slash.
	resp, body = send(t, "OPTIONS", url, map[string]string{"Origin": "http://LOCALHOST:5173", "Access-Control-Request-Method": "PUT"})
	wantHeaders(t, "second origin", resp, body, 200, map[string]string{"Access-Control-Allow-Origin": "http://LOCALHOST:5173"})
	// Another origin, or a method not allowed: answered, without permission.
	for name, h := range map[string]map[string]string{
		"other origin":   {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
		"method refused": {"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE"},
	} {
		resp, body = send(t, "OPTIONS", url, h)
		wantHeaders(t, name, resp, body, 200, map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "X-Fn": ""})
	}
	// An OPTIONS that is not a preflight reaches the function.
	resp, body = send(t, "OPTIONS", url, map[string]string{"Origin": "https://app.example"})
	wantHeaders(t, "plain OPTIONS", resp, body, 418, map[string]string{"X-Fn": "yes", "Access-Control-Allow-Origin": "https://app.example"})

	// A request from an allowed origin: the configuration's headers replace the function's.
	resp, body = send(t, "PUT", url+"items/1", map[string]string{"Origin": "https://app.example"})
	wantHeaders(t, "allowed request", resp, body, 418, map[string]string{
		"X-Fn": "yes", "Access-Control-Allow-Origin": "https://app.example",
		"Access-Control-Expose-Headers": "x-fn, x-request-id", "Access-Control-Allow-Credentials": "true",
	})
	if body != "PUT" {
		t.Errorf("body %q", body)
	}
	// From another origin: no permission, and none of the function's.
	resp, body = send(t, "GET", url, map[string]string{"Origin": "https://evil.example"})
	wantHeaders(t, "other origin's request", resp, body, 418, map[string]string{
		"X-Fn": "yes", "Access-Control-Allow-Origin": "", "Access-Control-Expose-Headers": "",
	})
	// Without an Origin (not a browser), the function's headers pass.
	resp, body = send(t, "GET", url, nil)
	wantHeaders(t, "no origin", resp, body, 418, map[string]string{"Access-Control-Allow-Origin": "https://evil.example"})

	// A wildcard origin without credentials answers "*"; preflights pass
	// before AWS_IAM authentication (browsers send them without credentials).
	if _, err := c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{
		FunctionName: fname, AuthType: types.FunctionUrlAuthTypeAwsIam,
		Cors: &types.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}},
	}); err != nil {
		t.Fatalf("UpdateFunctionUrlConfig: %v", err)
	}
	resp, body = send(t, "OPTIONS", url, map[string]string{"Origin": "https://any.example", "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "x-a"})
	wantHeaders(t, "wildcard preflight", resp, body, 200, map[string]string{
		"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*", "Access-Control-Allow-Headers": "*",
		"Access-Control-Allow-Credentials": "", "Access-Control-Max-Age": "",
	})
	resp, body = send(t, "GET", url, map[string]string{"Origin": "https://any.example"})
	wantHeaders(t, "wildcard, unauthenticated request", resp, body, 401, map[string]string{"Access-Control-Allow-Origin": "*"})

	// An empty configuration allows no origin; without any configuration,
	// the function answers preflights itself.
	if _, err := c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{
		FunctionName: fname, AuthType: types.FunctionUrlAuthTypeNone, Cors: &types.Cors{},
	}); err != nil {
		t.Fatal(err)
	}
	resp, body = send(t, "OPTIONS", url, map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
	wantHeaders(t, "empty configuration", resp, body, 200, map[string]string{"Access-Control-Allow-Origin": ""})
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: fname}); err != nil {
		t.Fatal(err)
	}
	u, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: fname, AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	resp, body = send(t, "OPTIONS", aws.ToString(u.FunctionUrl), map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
	wantHeaders(t, "no configuration", resp, body, 418, map[string]string{"X-Fn": "yes", "Access-Control-Allow-Origin": "https://evil.example"})
}

// send makes one plain HTTP request and returns the response and its body.
func send(t *testing.T, method, url string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// wantHeaders checks the status and headers of resp; "" wants the header absent.
func wantHeaders(t *testing.T, what string, resp *http.Response, body string, status int, want map[string]string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (body %q)", what, resp.StatusCode, status, body)
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}
