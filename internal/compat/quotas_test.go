package compat

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// A tenant's quotas: its concurrency cap throttles the call beyond it,
// its monthly invocations stop calls once used up, its stored bytes refuse
// a deploy — each a 429 saying which; the platform admin raises them.
func TestTenantQuotas(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := apiclient.New(p.endpoint, p.key.APIKey)
	if _, err := admin.CreateTenant(ctx, "small", &fn.Quotas{MaxConcurrency: 1, MaxInvocationsPerMonth: 4}); err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateKey(ctx, "small")
	if err != nil {
		t.Fatal(err)
	}
	api := apiclient.New(p.endpoint, k.APIKey)
	zip := zipOf(t, map[string]string{"app.py": "import time\ndef handler(e, c):\n    time.sleep(e.get('s', 0))\n    return 'ok'\n"})
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "slow", Runtime: "python3.11", Handler: "app.handler", Zip: zip}); err != nil {
		t.Fatal(err)
	}
	c := p.client(k.AccessKeyID, k.SecretAccessKey)
	invoke := func(payload string) error {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(payload)})
		return err
	}
	// Concurrency 1: while one call sleeps, a second is throttled.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := invoke(`{"s": 2}`); err != nil {
			t.Errorf("the first call: %v", err)
		}
	}()
	time.Sleep(700 * time.Millisecond)
	err = invoke(`{}`)
	wantAPIError(t, err, "TooManyRequestsException")
	if !strings.Contains(err.Error(), "concurrency limit of 1") {
		t.Errorf("throttle: %v", err)
	}
	wg.Wait()
	// Invocations per month: 4 (the sleeping call, then three more would
	// pass the quota of 4 after the first two).
	for i := range 2 {
		if err := invoke(`{}`); err != nil {
			t.Fatalf("call %d under the quota: %v", i, err)
		}
	}
	var last error
	for range 3 {
		if last = invoke(`{}`); last != nil {
			break
		}
	}
	wantAPIError(t, last, "TooManyRequestsException")
	if !strings.Contains(last.Error(), "invocations this month") {
		t.Errorf("monthly quota: %v", last)
	}
	// Stored bytes: a deploy past the quota is refused.
	if _, err := admin.SetQuotas(ctx, "small", fn.Quotas{MaxStoredBytes: 100}); err != nil {
		t.Fatal(err)
	}
	_, _, err = api.Deploy(ctx, apiclient.DeployRequest{Name: "another", Runtime: "python3.11", Handler: "app.handler", Zip: zip})
	if err == nil || !strings.Contains(err.Error(), "bytes of code") {
		t.Fatalf("deploy past the stored-bytes quota: %v", err)
	}
	// Quotas lifted: calls work again.
	if _, err := admin.SetQuotas(ctx, "small", fn.Quotas{}); err != nil {
		t.Fatal(err)
	}
	if err := invoke(`{}`); err != nil {
		t.Fatalf("after the quotas were lifted: %v", err)
	}
}
