package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
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
