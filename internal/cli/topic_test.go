package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestTopicCommands drives the topic commands against a real server,
// signing with the admin.credentials file of its data directory.
func TestTopicCommands(t *testing.T) {
	d, dataDir, _ := startServer(t)
	env := opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_DATA_DIR": dataDir}}
	must := func(args ...string) string {
		t.Helper()
		r := run(t, nil, env, args...)
		if r.code != 0 {
			t.Fatalf("updraft %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	arn := must("topic", "create", "orders")
	if arn != "arn:aws:sns:local:"+fn.AccountID("default")+":orders" {
		t.Errorf("create printed %q", arn)
	}
	fnARN := fn.ARN("default", "ship", "")
	sub := must("topic", "subscribe", "orders", "--protocol", "lambda", "--endpoint", fnARN, "--filter-policy", `{"kind":["order"]}`)
	if !strings.HasPrefix(sub, arn+":") {
		t.Errorf("subscribe printed %q", sub)
	}
	if out := must("topic", "ls"); !strings.Contains(out, arn) || !strings.Contains(out, fnARN) {
		t.Errorf("ls printed %q", out)
	}
	var rows []struct {
		TopicArn      string
		Subscriptions []struct{ Protocol, Endpoint string }
	}
	if err := json.Unmarshal([]byte(must("topic", "ls", "--output", "json")), &rows); err != nil || len(rows) != 1 ||
		rows[0].Subscriptions[0].Protocol != "lambda" {
		t.Errorf("ls --output json: %+v %v", rows, err)
	}
	if id := must("topic", "publish", "orders", "hello", "--attr", "kind=order", "--attr", "qty:Number=3"); len(id) != 36 {
		t.Errorf("publish printed %q", id)
	}
	r := run(t, nil, env, "topic", "publish", "orders", "x", "--attr", "qty:Number=many")
	if r.code != 1 || !strings.Contains(r.stderr, "not a number") {
		t.Errorf("bad attribute: exit %d, %q", r.code, r.stderr)
	}
	r = run(t, nil, env, "topic", "publish", "nope", "x")
	if r.code != 1 || !strings.Contains(r.stderr, `no topic named "nope"`) {
		t.Errorf("unknown topic: exit %d, %q", r.code, r.stderr)
	}
	must("topic", "rm", "orders")
	if out := must("topic", "ls", "--output", "json"); out != "[]" {
		t.Errorf("ls after rm: %q", out)
	}
}
