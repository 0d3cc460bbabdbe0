package compat

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// A trigger type no package owns is refused at deploy, before anything is
// stored, with the types that exist.
func TestUnknownTriggerTypeRefused(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	zip := zipOf(t, map[string]string{
		"app.py":       "def handler(e, c):\n    return e\n",
		"updraft.yaml": "name: trig\nruntime: python3.11\nhandler: app.handler\ntriggers:\n  - type: carrier-pigeon\n    every: day\n",
	})
	_, _, err := api.Deploy(ctx, apiclient.DeployRequest{Zip: zip})
	if err == nil || !strings.Contains(err.Error(), `trigger type "carrier-pigeon" is not known`) {
		t.Fatalf("deploy with an unknown trigger type: %v", err)
	}
	if _, err := api.GetFunction(ctx, "trig"); err == nil {
		t.Fatal("the refused function was stored")
	}
}

// A `type: queue` trigger in updraft.yaml makes an event source mapping
// that the function's redeploy keeps, updates, and removes when the
// trigger is gone; mappings made through the API are left alone.
func TestQueueTriggerFromYAML(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api := apiclient.New(p.endpoint, p.key.APIKey)
	for _, q := range []string{"orders", "other"} {
		if _, err := api.CreateQueue(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	deploy := func(triggers string) error {
		_, _, err := api.Deploy(ctx, apiclient.DeployRequest{Zip: zipOf(t, map[string]string{
			"app.py":       "def handler(e, c):\n    return len(e['Records'])\n",
			"updraft.yaml": "name: worker\nruntime: python3.11\nhandler: app.handler\n" + triggers,
		})})
		return err
	}
	mappings := func() map[string]int {
		t.Helper()
		out, err := p.lambda().ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("worker")})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, m := range out.EventSourceMappings {
			got[aws.ToString(m.EventSourceArn)[strings.LastIndex(aws.ToString(m.EventSourceArn), ":")+1:]] = int(aws.ToInt32(m.BatchSize))
		}
		return got
	}
	if err := deploy("triggers:\n  - type: queue\n    queue: missing\n"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a trigger on a queue that does not exist: %v", err)
	}
	if err := deploy("triggers:\n  - type: queue\n    queue: orders\n    batch_size: 5\n"); err != nil {
		t.Fatal(err)
	}
	if got := mappings(); len(got) != 1 || got["orders"] != 5 {
		t.Fatalf("after the first deploy: %v", got)
	}
	// One made through the API stays whatever the yaml says.
	if _, err := p.lambda().CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("worker"), EventSourceArn: aws.String(fmt.Sprintf("arn:aws:sqs:%s:%s:other", fn.Region, p.key.AccountID)),
	}); err != nil {
		t.Fatal(err)
	}
	if err := deploy("triggers:\n  - type: queue\n    queue: orders\n    batch_size: 7\n"); err != nil {
		t.Fatal(err)
	}
	if got := mappings(); len(got) != 2 || got["orders"] != 7 {
		t.Fatalf("after the update: %v", got)
	}
	if err := deploy(""); err != nil {
		t.Fatal(err)
	}
	if got := mappings(); len(got) != 1 || got["other"] == 0 {
		t.Fatalf("after the trigger was removed: %v (want only the API's mapping)", got)
	}
}
