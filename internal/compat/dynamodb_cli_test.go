package compat

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDynamoDBWithAWSCLI drives the tables with the aws CLI, where it is
// installed: create-table, put-item, get-item, query.
func TestDynamoDBWithAWSCLI(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	if testing.Short() {
		t.Skip("aws CLI runs take a few seconds each: not under -short")
	}
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", p.endpoint, "--region", "local", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+p.key.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+p.key.SecretAccessKey,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("dynamodb", "create-table", "--table-name", "orders",
		"--attribute-definitions", "AttributeName=customer,AttributeType=S", "AttributeName=ts,AttributeType=N",
		"--key-schema", "AttributeName=customer,KeyType=HASH", "AttributeName=ts,KeyType=RANGE",
		"--billing-mode", "PAY_PER_REQUEST")
	for _, item := range []string{
		`{"customer":{"S":"ada"},"ts":{"N":"1"},"total":{"N":"9.50"}}`,
		`{"customer":{"S":"ada"},"ts":{"N":"2"},"total":{"N":"12"}}`,
		`{"customer":{"S":"bob"},"ts":{"N":"1"},"total":{"N":"3"}}`,
	} {
		run("dynamodb", "put-item", "--table-name", "orders", "--item", item)
	}
	got := run("dynamodb", "get-item", "--table-name", "orders", "--key", `{"customer":{"S":"ada"},"ts":{"N":"1"}}`)
	if !strings.Contains(got, `"9.5"`) { // numbers come back normalised, as DynamoDB does
		t.Errorf("get-item: %s", got)
	}
	q := run("dynamodb", "query", "--table-name", "orders",
		"--key-condition-expression", "customer = :c AND ts > :t",
		"--expression-attribute-values", `{":c":{"S":"ada"},":t":{"N":"1"}}`)
	if !strings.Contains(q, `"Count": 1`) || !strings.Contains(q, `"12"`) {
		t.Errorf("query: %s", q)
	}
}
