package compat

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

var (
	fnsdkOnce sync.Once
	fnsdkExe  []byte
	fnsdkErr  error
)

// fnsdkBinary builds ./fnsdk (a function using the AWS SDK for Go v2 with
// no endpoint or credential code) once per test binary.
func fnsdkBinary(t *testing.T) []byte {
	t.Helper()
	fnsdkOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fnsdk")
		if err != nil {
			fnsdkErr = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "bootstrap")
		build := exec.Command("go", "build", "-o", bin, "./fnsdk")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fnsdkErr = err
			fnsdkExe = out
			return
		}
		fnsdkExe, fnsdkErr = os.ReadFile(bin)
	})
	if fnsdkErr != nil {
		t.Fatalf("go build ./fnsdk: %v\n%s", fnsdkErr, fnsdkExe)
	}
	return fnsdkExe
}

// deploySDKFunction deploys fnsdk as name with the given updraft.yaml (the
// way `updraft deploy` does: Lambda's CreateFunction ignores it).
func (p *platform) deploySDKFunction(ctx context.Context, t *testing.T, name, manifest string) *fn.Function {
	t.Helper()
	files := map[string]string{"bootstrap": string(fnsdkBinary(t))}
	if manifest != "" {
		files["updraft.yaml"] = manifest
	}
	f, _, err := apiclient.New(p.endpoint, p.key.APIKey).Deploy(ctx, apiclient.DeployRequest{
		Name: name, Runtime: "provided.al2023", Handler: "bootstrap", MemoryMB: 256, TimeoutSec: 30, Zip: zipOf(t, files),
	})
	if err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
	return f
}

// callSDK invokes an fnsdk function and returns its result, or its error
// message when it failed.
func callSDK(ctx context.Context, t *testing.T, c *lambda.Client, name string, req map[string]any) (string, bool) {
	t.Helper()
	payload, _ := json.Marshal(req)
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload})
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	if out.FunctionError != nil {
		var fe struct{ ErrorMessage string }
		_ = json.Unmarshal(out.Payload, &fe)
		return fe.ErrorMessage, false
	}
	var s string
	if err := json.Unmarshal(out.Payload, &s); err != nil {
		t.Fatalf("%s replied %s", name, out.Payload)
	}
	return s, true
}

// A function's own AWS SDK reaches the platform's services with the
// credentials and endpoint its instance was given, within the function's
// permissions, with or without network.
func TestFunctionReachesServicesWithItsCredentials(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	p := start(t)
	c := p.lambda()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p.deploySDKFunction(ctx, t, "open", "")
	if f := p.deploySDKFunction(ctx, t, "nonet", "network: none\n"); f.Network != fn.NetworkNone {
		t.Fatalf("nonet deployed with network %q", f.Network)
	}
	if f := p.deploySDKFunction(ctx, t, "narrow", "permissions:\n  - actions: [\"sqs:*\"]\n    resources: [allowed]\n  - actions: [lambda:InvokeFunction]\n    resources: [open]\n"); len(f.Permissions) != 2 {
		t.Fatalf("narrow deployed with permissions %+v", f.Permissions)
	}

	got, ok := callSDK(ctx, t, c, "open", map[string]any{"op": "env"})
	if !ok || got != "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_SESSION_TOKEN,AWS_REGION,AWS_ENDPOINT_URL" {
		t.Fatalf("environment of an instance: %q", got)
	}
	for _, f := range []string{"open", "nonet"} {
		got, ok := callSDK(ctx, t, c, f, map[string]any{"op": "sqs", "name": "q-" + f, "body": "hello from " + f, "create": true})
		if !ok || got != "hello from "+f {
			t.Errorf("%s: SQS round trip through its own SDK: %q", f, got)
		}
	}
	got, ok = callSDK(ctx, t, c, "narrow", map[string]any{"op": "sqs", "name": "allowed", "body": "in scope", "create": true})
	if !ok || got != "in scope" {
		t.Errorf("narrow on its allowed queue: %q", got)
	}
	got, ok = callSDK(ctx, t, c, "narrow", map[string]any{"op": "sqs", "name": "q-open", "body": "x"})
	if ok || !strings.Contains(got, "AccessDenied") || !strings.Contains(got, "function narrow") {
		t.Errorf("narrow on a queue outside its permissions: ok=%v %q, want AccessDenied", ok, got)
	}
	// S3 and DynamoDB through the function's own SDK clients.
	for _, c2 := range []struct {
		op   string
		args map[string]any
		want string
	}{
		{"s3put", map[string]any{"name": "fn-bucket", "key": "a/b.txt", "body": "object body", "create": true}, ""},
		{"s3get", map[string]any{"name": "fn-bucket", "key": "a/b.txt"}, "object body"},
		{"ddbput", map[string]any{"name": "fn-table", "key": "k1", "body": "item value", "create": true}, ""},
		{"ddbget", map[string]any{"name": "fn-table", "key": "k1"}, "item value"},
	} {
		args := map[string]any{"op": c2.op}
		for k, v := range c2.args {
			args[k] = v
		}
		for _, f := range []string{"open", "nonet"} {
			if f == "nonet" && c2.args["create"] == true {
				continue // made once, by open
			}
			got, ok := callSDK(ctx, t, c, f, args)
			if !ok || got != c2.want {
				t.Errorf("%s %s: ok=%v %q, want %q", f, c2.op, ok, got, c2.want)
			}
		}
	}
	got, ok = callSDK(ctx, t, c, "narrow", map[string]any{"op": "s3get", "name": "fn-bucket", "key": "a/b.txt"})
	if ok || !strings.Contains(got, "AccessDenied") {
		t.Errorf("narrow reading a bucket outside its permissions: ok=%v %q", ok, got)
	}
	// The Lambda API too: it may invoke open, not nonet.
	got, ok = callSDK(ctx, t, c, "narrow", map[string]any{"op": "invoke", "name": "open", "body": `{"op":"env"}`})
	if !ok || !strings.Contains(got, "AWS_SESSION_TOKEN") {
		t.Errorf("narrow invoking open (allowed): ok=%v %q", ok, got)
	}
	got, ok = callSDK(ctx, t, c, "narrow", map[string]any{"op": "invoke", "name": "nonet", "body": `{"op":"env"}`})
	if ok || !strings.Contains(got, "AccessDenied") || !strings.Contains(got, "lambda:InvokeFunction") {
		t.Errorf("narrow invoking nonet (not allowed): ok=%v %q, want AccessDenied", ok, got)
	}
}
