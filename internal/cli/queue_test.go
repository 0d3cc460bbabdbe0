package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestQueueCommands drives `updraft queue …` against a real server.
func TestQueueCommands(t *testing.T) {
	d, _, key := startServer(t)
	o := opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_API_KEY": key}}
	q := func(args ...string) result { return run(t, nil, o, append([]string{"queue"}, args...)...) }

	q("create", "jobs-dlq").want(t, 0, "created jobs-dlq", "")
	q("create", "jobs", "--visibility", "60", "--dlq", "jobs-dlq", "--max-receives", "3").want(t, 0, "/jobs\n", "")
	q("create", "plain", "--fifo").want(t, 2, "", "plain.fifo")
	q("create", "x", "--dlq", "jobs-dlq").want(t, 2, "", "--max-receives")
	q("create", "events.fifo").want(t, 0, "created events.fifo", "")

	q("send", "jobs", `{"task":"resize"}`).want(t, 0, "sent ", "")
	o.stdin = "from stdin"
	q("send", "events.fifo", "-", "--group", "g1").want(t, 0, "sent ", "")
	o.stdin = ""
	q("send", "events.fifo", "no group").want(t, 1, "", "MissingParameter")
	q("send", "nope", "x").want(t, 1, "", "QueueDoesNotExist: The specified queue does not exist: nope")

	r := q("ls", "--output", "json")
	r.want(t, 0, `"name": "jobs"`, "")
	var ls []queueInfo
	if err := json.Unmarshal([]byte(r.stdout), &ls); err != nil || len(ls) != 3 {
		t.Fatalf("ls --output json: %v\n%s", err, r.stdout)
	}
	for _, qi := range ls {
		if qi.Name == "jobs" && (qi.Messages != 1 || qi.Visibility != 60 || !strings.Contains(qi.DeadLetter, "jobs-dlq")) {
			t.Fatalf("jobs in ls: %+v", qi)
		}
	}
	q("ls").want(t, 0, "NAME", "")

	q("receive", "jobs", "--wait", "5", "--delete").want(t, 0, `{"task":"resize"}`, "")
	r = q("receive", "events.fifo", "--wait", "5", "--output", "json")
	var got []receivedMessage
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 || got[0].Body != "from stdin" || got[0].Attributes["MessageGroupId"] != "g1" || got[0].Deleted {
		t.Fatalf("receive --output json: %v\n%s", err, r.stdout)
	}
	q("receive", "jobs").want(t, 0, "", "no messages")
	q("receive", "jobs", "--max", "11").want(t, 2, "", "--max")

	q("send", "jobs", "again").want(t, 0, "sent", "")
	q("purge", "jobs").want(t, 0, "purged jobs", "")
	q("receive", "jobs", "--wait", "1").want(t, 0, "", "no messages")
	q("rm", "jobs", "--output", "json").want(t, 0, `"deleted": "jobs"`, "")
	q("rm", "jobs").want(t, 1, "", "QueueDoesNotExist")
	q("--help").want(t, 0, "Examples:", "")
	for _, sub := range []string{"create", "ls", "send", "receive", "purge", "rm"} {
		q(sub, "--help").want(t, 0, "Examples:\n  ", "")
	}
}
