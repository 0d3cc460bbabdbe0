package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/queue"
)

// TestTrigger drives `updraft trigger` against a real server: map a queue
// to a function, list, delete, and Lambda's errors.
func TestTrigger(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, _, key := startServer(t)
	endpoint := "http://" + d.Addr()
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("app.py")
	_, _ = io.WriteString(w, "def handler(event, context):\n    return None\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	api := apiclient.New(endpoint, key)
	f, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "worker", Runtime: "python3.12", Handler: "app.handler", Zip: zbuf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Queues().Create(ctx, queue.ID{Tenant: f.Tenant, Name: "jobs"}, queue.Config{}); err != nil {
		t.Fatal(err)
	}
	env := opts{env: map[string]string{"UPDRAFT_ENDPOINT": endpoint, "UPDRAFT_API_KEY": key}}

	r := run(t, nil, env, "trigger", "queue", "jobs", "worker", "--batch-size", "20", "--window", "1", "--report-failures", "--max-concurrency", "3", "-o", "json")
	r.want(t, 0, `"BatchSize": 20`, "")
	var m apiclient.EventSourceMapping
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(m.EventSourceArn, ":jobs") || !strings.HasSuffix(m.FunctionArn, ":function:worker") ||
		m.MaximumBatchingWindowInSeconds != 1 || m.ScalingConfig == nil || m.ScalingConfig.MaximumConcurrency != 3 ||
		len(m.FunctionResponseTypes) != 1 || m.Modified().IsZero() {
		t.Fatalf("created %+v", m)
	}
	run(t, nil, env, "trigger", "queue", "jobs", "worker").want(t, 1, "", "ResourceConflictException")
	run(t, nil, env, "trigger", "queue", "nope", "worker").want(t, 1, "", "InvalidParameterValueException: the queue arn:aws:sqs:")
	run(t, nil, env, "trigger", "queue", "jobs", "worker", "--batch-size", "11").want(t, 1, "", "MaximumBatchingWindowInSeconds")
	run(t, nil, env, "trigger", "ls", "worker").want(t, 0, m.UUID+"  jobs   worker    20", "")
	run(t, nil, env, "trigger", "ls", "other", "-o", "json").want(t, 0, "[]", "")
	run(t, nil, env, "trigger", "rm", m.UUID).want(t, 0, "deleted "+m.UUID+" (jobs → worker)", "")
	run(t, nil, env, "trigger", "rm", m.UUID).want(t, 1, "", "ResourceNotFoundException")
	run(t, nil, env, "trigger", "queue", "--help").want(t, 0, "updraft trigger queue jobs worker", "")
}
