package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBucketAndObjectCommands drives the bucket and object commands
// against a real server with the real S3 client.
func TestBucketAndObjectCommands(t *testing.T) {
	d, _, key := startServer(t)
	env := opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_API_KEY": key}}
	must := func(o opts, args ...string) string {
		t.Helper()
		r := run(t, nil, o, args...)
		if r.code != 0 {
			t.Fatalf("updraft %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r.stdout
	}
	must(env, "bucket", "create", "photos")
	if out := must(env, "bucket", "ls"); !strings.Contains(out, "photos") {
		t.Fatalf("bucket ls: %q", out)
	}
	file := filepath.Join(t.TempDir(), "tom.jpg")
	if err := os.WriteFile(file, []byte("a cat"), 0o644); err != nil {
		t.Fatal(err)
	}
	if etag := strings.TrimSpace(must(env, "object", "put", "photos/cats/tom.jpg", file, "--content-type", "image/jpeg")); len(etag) != 34 {
		t.Fatalf("put printed %q", etag)
	}
	piped := env
	piped.stdin = "from stdin"
	must(piped, "object", "put", "photos/notes/hello.txt", "-")
	if got := must(env, "object", "get", "photos/notes/hello.txt"); got != "from stdin" {
		t.Fatalf("get to stdout: %q", got)
	}
	dst := filepath.Join(t.TempDir(), "copy.jpg")
	must(env, "object", "get", "photos/cats/tom.jpg", dst)
	if b, err := os.ReadFile(dst); err != nil || string(b) != "a cat" {
		t.Fatalf("get to a file: %q %v", b, err)
	}
	var list []struct {
		Key  string
		Size int64
	}
	if err := json.Unmarshal([]byte(must(env, "object", "ls", "photos/cats/", "--output", "json")), &list); err != nil || len(list) != 1 || list[0].Key != "cats/tom.jpg" || list[0].Size != 5 {
		t.Fatalf("object ls: %+v %v", list, err)
	}
	r := run(t, nil, env, "bucket", "rm", "photos")
	if r.code == 0 || !strings.Contains(r.stderr, "BucketNotEmpty") {
		t.Fatalf("rm of a bucket with objects: exit %d, %q", r.code, r.stderr)
	}
	must(env, "object", "rm", "photos/cats/tom.jpg")
	must(env, "object", "rm", "photos/notes/hello.txt")
	must(env, "bucket", "rm", "photos")
	if r := run(t, nil, env, "object", "put", "nokey", file); r.code != 2 {
		t.Fatalf("put without a key: exit %d, %q", r.code, r.stderr)
	}
}
