package compat

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// A secret reaches the function's environment at instance start; no API
// returns its value; a deploy naming a missing secret is refused; a read
// key sees environment names but not values.
func TestSecretsInEnvironment(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	if _, err := api.SetSecret(ctx, "db-password", []byte("hunter2")); err != nil {
		t.Fatal(err)
	}
	zip := zipOf(t, map[string]string{"app.py": "import os\ndef handler(e, c):\n    return {'db': os.environ['DB'], 'plain': os.environ['PLAIN']}\n"})
	_, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "uses", Runtime: "python3.11", Handler: "app.handler", Zip: zip,
		Env: map[string]string{"DB": "secret:missing", "PLAIN": "x"}})
	if err == nil || !strings.Contains(err.Error(), "secret missing, which does not exist") {
		t.Fatalf("deploy naming a missing secret: %v", err)
	}
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "uses", Runtime: "python3.11", Handler: "app.handler", Zip: zip,
		Env: map[string]string{"DB": "secret:db-password", "PLAIN": "visible-to-deployers"}}); err != nil {
		t.Fatal(err)
	}
	out, err := p.lambda().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("uses")})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out.Payload, &got); err != nil || got["db"] != "hunter2" {
		t.Fatalf("the function's environment: %s (%v)", out.Payload, err)
	}
	// No API answers with the value.
	list, err := api.ListSecrets(ctx)
	if err != nil || len(list) != 1 || list[0].Size != 7 {
		t.Fatalf("secret ls: %+v %v", list, err)
	}
	f, err := api.GetFunction(ctx, "uses")
	if err != nil || f.Env["DB"] != "secret:db-password" || f.Env["PLAIN"] != "visible-to-deployers" {
		t.Fatalf("admin's view of the environment: %v %v", f.Env, err)
	}
	reader, err := api.NewKey(ctx, apiclient.KeyRequest{Scope: fn.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	f, err = apiclient.New(p.endpoint, reader.APIKey).GetFunction(ctx, "uses")
	if err != nil || f.Env["PLAIN"] != "(hidden)" || f.Env["DB"] != "secret:db-password" {
		t.Fatalf("a read key's view of the environment: %v %v", f.Env, err)
	}
	cfg, err := p.client(reader.AccessKeyID, reader.SecretAccessKey).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("uses")})
	if err != nil || cfg.Environment.Variables["PLAIN"] != "(hidden)" {
		t.Fatalf("GetFunctionConfiguration with a read key: %+v %v", cfg.Environment, err)
	}
}
