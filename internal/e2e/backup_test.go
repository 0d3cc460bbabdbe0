package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/cli"
	"github.com/updraft-dev/updraft/internal/fn"
)

// TestBackupCorruptRestore takes an online backup of a server holding two
// functions, a published version and an alias, a tenant's key, logs, usage
// and queued async events; wrecks the store; restores the backup into a
// new data directory and checks that all of it is back.
func TestBackupCorruptRestore(t *testing.T) {
	ctx := context.Background()
	oldDir := t.TempDir()
	d1, c, endpoint := startDaemon(t, oldDir, 1024)

	deployPy(t, c, "echo", `return {"code": "v1", "event": event}`)
	lambdaCall(t, endpoint, c.APIKey, "/functions/echo/versions", `{}`, http.StatusCreated)
	lambdaCall(t, endpoint, c.APIKey, "/functions/echo/aliases", `{"Name":"live","FunctionVersion":"1"}`, http.StatusCreated)
	deployPy(t, c, "echo", `return {"code": "v2", "event": event}`)
	deployPy(t, c, "queued", `print("ran", event); return event`)
	for range 4 {
		invokeCode(t, c, "echo", "v2")
	}
	invokeCode(t, c, "echo:live", "v1")
	if _, err := c.CreateTenant(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// Reserved concurrency 0 throttles "queued": its async events stay in
	// the queue, retried, until it is lifted.
	zero := 0
	if _, err := c.PutConcurrency(ctx, "queued", fn.Concurrency{Reserved: &zero}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		lambdaCall(t, endpoint, c.APIKey, "/functions/queued/invocations", `{"n":1}`, http.StatusAccepted, "X-Amz-Invocation-Type", "Event")
	}
	if n := streamMessages(t, c, "QUEUES"); n != 3 {
		t.Fatalf("QUEUES holds %d messages before the backup, want 3", n)
	}

	// Only the platform admin takes backups: one holds every tenant's data
	// and keys. For anyone else the route does not exist.
	if _, err := apiclient.New(endpoint, key.APIKey).Backup(ctx); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("a tenant's backup: %v", err)
	}
	backupDir := filepath.Join(t.TempDir(), "bk")
	var out, errOut bytes.Buffer
	if code := cli.Main(ctx, []string{"admin", "backup", backupDir, "--endpoint", endpoint, "--api-key", c.APIKey}, nil, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("admin backup: exit %d: %s%s", code, out.String(), errOut.String())
	}
	t.Log(strings.TrimSpace(out.String()))
	// What the backup must give back, read after it was taken: the calls
	// above were all answered before it.
	usage := usageOf(t, c)
	logLines := logCount(t, c, "echo")
	if usage["echo"].Invocations != 5 || logLines == 0 {
		t.Fatalf("before the backup: usage %+v, %d log lines", usage, logLines)
	}
	checkBackupFiles(t, backupDir)
	if err := d1.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Wreck the old store: every block file cut in half.
	cut := 0
	err = filepath.WalkDir(filepath.Join(oldDir, "jetstream"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".blk") {
			info, _ := e.Info()
			cut++
			return os.Truncate(p, info.Size()/2)
		}
		return err
	})
	if err != nil || cut == 0 {
		t.Fatalf("truncated %d block files: %v", cut, err)
	}

	// Restore refuses the old, non-empty directory, and then fills a new one.
	if code := cli.Main(ctx, []string{"admin", "restore", backupDir, "--data-dir", oldDir}, nil, &out, &errOut, noEnv); code == 0 || !strings.Contains(errOut.String(), "not empty") {
		t.Fatalf("restore onto the old data dir: exit %d: %s", code, errOut.String())
	}
	newDir := filepath.Join(t.TempDir(), "restored")
	errOut.Reset()
	if code := cli.Main(ctx, []string{"admin", "restore", backupDir, "--data-dir", newDir}, nil, &out, &errOut, noEnv); code != 0 {
		t.Fatalf("admin restore: exit %d: %s", code, errOut.String())
	}
	_, c2, endpoint2 := startDaemon(t, newDir, 1024)
	if c2.APIKey != c.APIKey {
		t.Fatal("the restored server has a different admin key")
	}

	// Usage and logs as they were, before any new call.
	if got := usageOf(t, c2); !reflect.DeepEqual(got, usage) {
		t.Fatalf("usage after restore %+v, before %+v", got, usage)
	}
	if got := logCount(t, c2, "echo"); got != logLines {
		t.Fatalf("%d log lines of echo after restore, %d before", got, logLines)
	}
	if n := streamMessages(t, c2, "QUEUES"); n != 3 {
		t.Fatalf("QUEUES holds %d messages after restore, want 3", n)
	}
	// Code, versions and aliases.
	invokeCode(t, c2, "echo", "v2")
	invokeCode(t, c2, "echo:1", "v1")
	invokeCode(t, c2, "echo:live", "v1")
	// The tenant's key and its access key pair (sealed by master.key).
	if _, err := apiclient.New(endpoint2, key.APIKey).ListFunctions(ctx); err != nil {
		t.Fatalf("acme's key after restore: %v", err)
	}
	// The queued events run once "queued" may run again.
	if err := c2.DeleteConcurrency(ctx, "queued"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for usageOf(t, c2)["queued"].Invocations < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("queued ran %d of its 3 restored async events in 2 minutes", usageOf(t, c2)["queued"].Invocations)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func noEnv(string) string { return "" }

// deployPy deploys a Python function whose handler body is body.
func deployPy(t *testing.T, c *apiclient.Client, name, body string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("app.py")
	if err == nil {
		_, err = io.WriteString(w, "def handler(event, context):\n    "+body+"\n")
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Deploy(context.Background(), apiclient.DeployRequest{Name: name, Runtime: "python3.12", Handler: "app.handler", Zip: buf.Bytes()}); err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
}

// invokeCode calls name and checks which code answered.
func invokeCode(t *testing.T, c *apiclient.Client, name, want string) {
	t.Helper()
	res, err := c.Invoke(context.Background(), name, []byte(`{"k":1}`))
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	var out struct{ Code string }
	if err := json.Unmarshal(res.Payload, &out); err != nil || out.Code != want || res.FunctionError != "" {
		t.Fatalf("invoke %s answered %s, want code %s", name, res.Payload, want)
	}
}

// lambdaCall POSTs body to Lambda's API under /2015-03-31 and checks the
// status; header holds extra name, value pairs.
func lambdaCall(t *testing.T, endpoint, key, path, body string, want int, header ...string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/2015-03-31"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s, want %d", path, resp.StatusCode, b, want)
	}
}

func usageOf(t *testing.T, c *apiclient.Client) map[string]fn.UsageSummary {
	t.Helper()
	sums, err := c.Usage(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fn.UsageSummary{}
	for _, s := range sums {
		out[s.Function] = s
	}
	return out
}

func logCount(t *testing.T, c *apiclient.Client, name string) int {
	t.Helper()
	n := 0
	if err := c.Logs(context.Background(), name, "", false, func(fn.LogEntry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// streamMessages is the message count of a stream as /v1/storage shows it.
func streamMessages(t *testing.T, c *apiclient.Client, name string) uint64 {
	t.Helper()
	s, err := c.Storage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Stores {
		if st.Name == name {
			return st.Messages
		}
	}
	t.Fatalf("no store %s in %+v", name, s.Stores)
	return 0
}

// checkBackupFiles: the backup is private (0700/0600) and its manifest
// lists the registry, code, queue, logs and usage streams and the keys.
func checkBackupFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if want := fs.FileMode(0o600); e.IsDir() && info.Mode().Perm() != 0o700 || !e.IsDir() && info.Mode().Perm() != want {
			t.Errorf("%s has mode %v", p, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Streams []struct{ Name string }
		Files   []struct{ Name string }
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range m.Streams {
		have[s.Name] = true
	}
	for _, f := range m.Files {
		have[f.Name] = true
	}
	for _, want := range []string{"KV_functions", "KV_versions", "KV_aliases", "KV_apikeys", "KV_accesskeys", "OBJ_code", "QUEUES", "KV_QUEUE_DEFS", "LOGS", "USAGE", "master.key", "admin.key", "admin.credentials"} {
		if !have[want] {
			t.Errorf("the manifest lacks %s: %s", want, data)
		}
	}
}
