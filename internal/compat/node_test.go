package compat

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNodeSDK drives the Lambda API with the npm package
// @aws-sdk/client-lambda, installed into the test's temp dir. It skips,
// saying why, where node or npm is missing or the npm registry is not
// reachable.
func TestNodeSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the npm install")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: cannot run @aws-sdk/client-lambda", tool)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--silent", "@aws-sdk/client-lambda@3")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install @aws-sdk/client-lambda failed (is the npm registry reachable?): %v\n%s", err, out)
	}
	script, err := os.ReadFile("testdata/node/lifecycle.cjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lifecycle.cjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	code := zipOf(t, map[string]string{"index.js": `exports.handler = async (event) => { console.log("node says hi"); return { hello: event.name }; };` + "\n"})
	zipPath := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipPath, code, 0o644); err != nil {
		t.Fatal(err)
	}

	p := start(t)
	run := exec.CommandContext(ctx, "node", "lifecycle.cjs")
	run.Dir = dir
	run.Env = append(os.Environ(), "ENDPOINT="+p.endpoint, "AKID="+p.key.AccessKeyID, "SECRET="+p.key.SecretAccessKey, "ZIP="+zipPath)
	out, err := run.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		Created, Runtime, Sha, Payload, Version, Log, NotFound, BadSignature string
		Status                                                               int
		Names                                                                []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sum := sha256.Sum256(code)
	if got.Created != "fromnode" || got.Runtime != "nodejs20.x" || got.Sha != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("create: %+v", got)
	}
	if got.Status != 200 || got.Payload != `{"hello":"node"}` || got.Version != "$LATEST" || !strings.Contains(got.Log, "node says hi") {
		t.Errorf("invoke: %+v", got)
	}
	if len(got.Names) != 1 || got.Names[0] != "fromnode" {
		t.Errorf("list: %v", got.Names)
	}
	if got.NotFound != "ResourceNotFoundException" || got.BadSignature != "InvalidSignatureException" {
		t.Errorf("errors: %q %q", got.NotFound, got.BadSignature)
	}
}
