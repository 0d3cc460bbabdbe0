package compat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaErrors checks the SDK sees Lambda's error types for bad input
// and bad credentials.
func TestLambdaErrors(t *testing.T) {
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("nope"), ZipFile: pythonZip(t, "x")})
	wantAPIError(t, err, "ResourceNotFoundException")

	create := func(rt types.Runtime, handler string, zip []byte) error {
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String("bad"), Runtime: rt, Handler: aws.String(handler),
			Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: zip},
		})
		return err
	}
	wantAPIError(t, create("cobol85", "app.handler", pythonZip(t, "x")), "InvalidParameterValueException")
	wantAPIError(t, create(types.RuntimePython312, "missing.handler", pythonZip(t, "x")), "InvalidParameterValueException")
	wantAPIError(t, create(types.RuntimeProvidedal2023, "bootstrap", pythonZip(t, "x")), "InvalidParameterValueException")
	wantAPIError(t, create(types.RuntimePython312, "app.handler", []byte("not a zip")), "InvalidZipFileException")
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("bad"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), MemorySize: aws.Int32(64), Code: &types.FunctionCode{ZipFile: pythonZip(t, "x")},
	})
	wantAPIError(t, err, "InvalidParameterValueException")

	// A payload over 6 MB.
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("ok"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &types.FunctionCode{ZipFile: pythonZip(t, "x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	big := append(append([]byte(`"`), bytes.Repeat([]byte("x"), 6<<20)...), '"')
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("ok"), Payload: big})
	wantAPIError(t, err, "RequestTooLargeException")
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("ok"), Qualifier: aws.String("7")})
	wantAPIError(t, err, "ResourceNotFoundException")

	// Bad credentials: a wrong secret, an unknown key id.
	_, err = p.client(p.key.AccessKeyID, strings.Repeat("x", 40)).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	wantAPIError(t, err, "InvalidSignatureException")
	_, err = p.client("AKUDAAAAAAAAAAAAAAAA", p.key.SecretAccessKey).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	wantAPIError(t, err, "UnrecognizedClientException")
	_, err = p.client("AKIAIOSFODNN7EXAMPLE", p.key.SecretAccessKey).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	wantAPIError(t, err, "UnrecognizedClientException")
}

// TestRawLambdaRequests sends what SDKs never send: malformed JSON, wrong
// types, unknown operations, a tampered body. Each gets Lambda's error type,
// never a 500.
func TestRawLambdaRequests(t *testing.T) {
	p := start(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		typ                string
	}{
		{"POST", "/2015-03-31/functions", `{bad`, 400, "InvalidRequestContentException"},
		{"POST", "/2015-03-31/functions", ``, 400, "InvalidRequestContentException"},
		{"POST", "/2015-03-31/functions", `{"FunctionName":7}`, 400, "InvalidRequestContentException"},
		{"POST", "/2015-03-31/functions", `{"FunctionName":"x","Runtime":"python3.12","Handler":"a.b"}`, 400, "InvalidParameterValueException"},
		{"POST", "/2015-03-31/functions", `{"Runtime":"python3.12"}`, 400, "InvalidParameterValueException"},
		{"PUT", "/2015-03-31/functions/x/configuration", `[]`, 400, "InvalidRequestContentException"},
		{"PATCH", "/2015-03-31/functions/x", ``, 404, "UnknownOperationException"},
		{"GET", "/2099-01-01/nothing", ``, 404, "UnknownOperationException"},
		{"GET", "/2015-03-31/functions/x/nothing", ``, 404, "UnknownOperationException"},
		{"POST", "/2015-03-31/functions/x/nothing", `{}`, 404, "UnknownOperationException"},
		{"GET", "/2016-08-19/account-settings/x", ``, 404, "UnknownOperationException"},
		{"GET", "/2015-03-31/functions?MaxItems=0", ``, 400, "InvalidParameterValueException"},
		{"GET", "/2017-03-31/tags/not-an-arn", ``, 400, "InvalidParameterValueException"},
		{"POST", "/2015-03-31/functions/x/aliases", `{bad`, 400, "InvalidRequestContentException"},
		{"POST", "/2015-03-31/functions/x/versions", `{"CodeSha256":5}`, 400, "InvalidRequestContentException"},
		{"PUT", "/2017-10-31/functions/x/concurrency", `{}`, 400, "InvalidParameterValueException"},
		{"POST", "/2021-10-31/functions/x/url", `{"AuthType":1}`, 400, "InvalidRequestContentException"},
		{"GET", "/url/nosuchid/", ``, 404, "ResourceNotFoundException"},
		{"POST", "/2015-03-31/functions/x/invocations", `{"a":`, 400, "InvalidRequestContentException"},
		{"POST", "/2015-03-31/functions/bad%20name/invocations", `{}`, 400, "InvalidParameterValueException"},
		{"GET", "/2015-03-31/functions/nosuch/aliases/live", ``, 404, "ResourceNotFoundException"},
	} {
		req, err := http.NewRequest(tc.method, p.endpoint+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+p.key.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Type    string `json:"Type"`
			Message string `json:"message"`
		}
		derr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.typ || derr != nil || body.Type != "User" || body.Message == "" {
			t.Errorf("%s %s %s: %d %s %+v (%v), want %d %s", tc.method, tc.path, tc.body, resp.StatusCode,
				resp.Header.Get("X-Amzn-ErrorType"), body, derr, tc.status, tc.typ)
		}
	}
}

// TestSignatureChecks signs raw requests with the SDK's own SigV4 signer,
// then breaks them: a body changed after signing, a stale date.
func TestSignatureChecks(t *testing.T) {
	p := start(t)
	ctx := context.Background()
	creds := aws.Credentials{AccessKeyID: p.key.AccessKeyID, SecretAccessKey: p.key.SecretAccessKey}
	send := func(body, sentBody string, at time.Time) *http.Response {
		t.Helper()
		req, err := http.NewRequest("PUT", p.endpoint+"/2015-03-31/functions/nope/configuration", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", "local", at); err != nil {
			t.Fatal(err)
		}
		req.Body = io.NopCloser(strings.NewReader(sentBody))
		req.ContentLength = int64(len(sentBody))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := send(`{"Timeout":5}`, `{"Timeout":5}`, time.Now()); resp.StatusCode != 404 {
		t.Fatalf("a good signature: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if resp := send(`{"Timeout":5}`, `{"Timeout":6}`, time.Now()); resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("a changed body: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if resp := send(`{}`, `{}`, time.Now().Add(-20*time.Minute)); resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("a stale date: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
