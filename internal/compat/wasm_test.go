package compat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime/wasm/wasmtest"
)

// TestWasmFunctions deploys the two Wasm examples through the real daemon
// with the AWS SDK's Lambda client (runtime "wasm", the handler found as
// the only .wasm file) and invokes them sync and async; a module that
// imports an unknown host function is refused at deploy.
func TestWasmFunctions(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	dir := t.TempDir()
	reactor, command := filepath.Join(dir, "reactor.wasm"), filepath.Join(dir, "command.wasm")
	if err := wasmtest.BuildGo("../..", "./examples/hello-wasm-go", reactor, true); err != nil {
		t.Fatal(err)
	}
	if err := wasmtest.BuildGo("../..", "./examples/hello-wasm-wasi", command, false); err != nil {
		t.Fatal(err)
	}
	p := start(t)
	c := p.lambda()
	// Generous: compiling a Go guest takes seconds, minutes under -race.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	create := func(name string, module []byte) error {
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.Runtime(fn.RuntimeWasm), Role: aws.String("r"),
			Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"fn/hello.wasm": string(module), "README": "x"})},
		})
		return err
	}
	for name, path := range map[string]string{"reactor": reactor, "command": command} {
		module, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := create(name, module); err != nil {
			t.Fatalf("CreateFunction %s: %v", name, err)
		}
		got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if h := aws.ToString(got.Configuration.Handler); h != "fn/hello.wasm" || got.Configuration.Runtime != types.Runtime(fn.RuntimeWasm) {
			t.Errorf("%s: handler %q, runtime %q: want the only .wasm file and runtime wasm", name, h, got.Configuration.Runtime)
		}
		out, err := c.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(name), Payload: []byte(`{"name":"Ada"}`), LogType: types.LogTypeTail,
		})
		if err != nil {
			t.Fatalf("Invoke %s: %v", name, err)
		}
		var resp struct{ Message string }
		if json.Unmarshal(out.Payload, &resp); out.FunctionError != nil || resp.Message != "hello, Ada" {
			t.Fatalf("%s answered %s (error %v)", name, out.Payload, aws.ToString(out.FunctionError))
		}
		tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if !strings.Contains(string(tail), "greeting Ada") || !strings.Contains(string(tail), "REPORT RequestId:") {
			t.Errorf("%s: log tail %q: want the function's line and REPORT", name, tail)
		}
		if name == "reactor" && !strings.Contains(string(tail), "Init Duration:") {
			t.Errorf("reactor's first call: log tail %q: want an Init Duration", tail)
		}
		ev, err := c.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"name":"Async"}`),
		})
		if err != nil || ev.StatusCode != 202 {
			t.Fatalf("Invoke Event %s: %v, status %d", name, err, ev.StatusCode)
		}
	}
	// A published version and an alias run the same module.
	pub, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("reactor")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("reactor"), Name: aws.String("live"), FunctionVersion: pub.Version}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{aws.ToString(pub.Version), "live"} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("reactor"), Qualifier: aws.String(q), Payload: []byte(`{"name":"V"}`)})
		if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), "hello, V") {
			t.Fatalf("invoke reactor:%s: %v %s", q, err, out.Payload)
		}
	}
	// The async calls ran: their log lines arrive.
	api := apiclient.New(p.endpoint, p.key.APIKey)
	for _, name := range []string{"reactor", "command"} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			ran := false
			err := api.Logs(ctx, name, "", false, func(e fn.LogEntry) error {
				ran = ran || strings.Contains(e.Message, "greeting Async")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if ran {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the async invocation did not run", name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	err = create("bad", wasmtest.UnknownImportCommand())
	wantAPIError(t, err, "InvalidParameterValueException")
	if !strings.Contains(err.Error(), "env.launch_missiles") {
		t.Errorf("refusal %v: want the import named", err)
	}
}
