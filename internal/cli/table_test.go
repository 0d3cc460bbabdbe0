package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTableCommands drives `updraft table …` against a real server.
func TestTableCommands(t *testing.T) {
	d, _, key := startServer(t)
	o := opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_API_KEY": key}}
	tb := func(args ...string) result { return run(t, nil, o, append([]string{"table"}, args...)...) }

	tb("create", "users", "--hash-key", "id:S", "--stream", "NEW_AND_OLD_IMAGES").want(t, 0, "stream arn:aws:dynamodb:", "")
	tb("create", "events", "--hash-key", "pk:S", "--range-key", "ts:N").want(t, 0, "created events", "")
	tb("create", "x1y", "--hash-key", "id").want(t, 2, "", "NAME:TYPE")
	tb("create", "users", "--hash-key", "id:S").want(t, 1, "", "ResourceInUseException")

	tb("put", "users", "--item", `{"id":"a","name":"Ada","n":1.50,"tags":["x"],"m":{"k":null}}`).want(t, 0, "put 1 item", "")
	tb("put", "users", "--item", `{"id":{"S":"b"},"n":{"N":"2"}}`).want(t, 0, "put 1 item", "")
	tb("put", "users", "--item", `{"name":"no key"}`).want(t, 1, "", "ValidationException")
	tb("get", "users", "--key", `{"id":"a"}`).want(t, 0, `{"id":"a","m":{"k":null},"n":1.5,"name":"Ada","tags":["x"]}`, "")
	r := tb("get", "users", "--key", `{"id":"b"}`, "--output", "json")
	var items []map[string]map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 1 || items[0]["n"]["N"] != "2" {
		t.Fatalf("get --output json: %v\n%s", err, r.stdout)
	}
	tb("get", "users", "--key", `{"id":"zz"}`).want(t, 0, "", "no such item")

	for _, ts := range []string{"3", "1", "2"} {
		tb("put", "events", "--item", `{"pk":"u1","ts":`+ts+`}`).want(t, 0, "put", "")
	}
	r = tb("query", "events", "--key-condition", "pk = :p AND ts >= :t", "--values", `{":p":"u1",":t":2}`, "--desc")
	if r.stdout != "{\"pk\":\"u1\",\"ts\":3}\n{\"pk\":\"u1\",\"ts\":2}\n" {
		t.Fatalf("query printed %q (stderr %s)", r.stdout, r.stderr)
	}
	tb("query", "events", "--key-condition", "ts = :t", "--values", `{":t":2}`).want(t, 1, "", "ValidationException")
	r = tb("scan", "users", "--filter", "n > :n", "--values", `{":n":1.6}`)
	if strings.TrimSpace(r.stdout) != `{"id":"b","n":2}` {
		t.Fatalf("scan printed %q (stderr %s)", r.stdout, r.stderr)
	}
	r = tb("ls", "--output", "json")
	var ls []tableInfo
	if err := json.Unmarshal([]byte(r.stdout), &ls); err != nil || len(ls) != 2 || ls[1].Name != "users" || ls[1].Items != 2 || ls[1].StreamARN == "" || ls[0].Key != "pk,ts" {
		t.Fatalf("ls --output json: %v\n%s", err, r.stdout)
	}
	tb("ls").want(t, 0, "NAME", "")
	tb("rm", "events").want(t, 0, "deleted events", "")
	tb("rm", "events").want(t, 1, "", "ResourceNotFoundException")
	tb("--help").want(t, 0, "Examples:", "")
	for _, sub := range []string{"create", "ls", "rm", "get", "put", "query", "scan"} {
		tb(sub, "--help").want(t, 0, "Examples:\n  ", "")
	}
}
