package compat

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// nodeS3Function is a Node function using @aws-sdk/client-s3 with no
// endpoint or credential code: `new S3Client({})` finds the platform
// through the instance's environment.
const nodeS3Function = `const { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({});
exports.handler = async (event) => {
  if (event.create) await s3.send(new CreateBucketCommand({ Bucket: event.bucket }));
  await s3.send(new PutObjectCommand({ Bucket: event.bucket, Key: event.key, Body: event.body, ContentType: "text/plain" }));
  const got = await s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.key }));
  return { body: await got.Body.transformToString(), type: got.ContentType, etag: got.ETag };
};
`

// TestNodeFunctionUsesS3 deploys a Node function whose node_modules hold
// @aws-sdk/client-s3 from npm, and checks its own SDK reaches the
// platform's S3. It skips, saying why, where npm or the registry is missing.
func TestNodeFunctionUsesS3(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the npm install")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed: cannot install @aws-sdk/client-s3")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--silent", "@aws-sdk/client-s3@3")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install @aws-sdk/client-s3 failed (is the npm registry reachable?): %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(nodeS3Function), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "updraft.yaml"), []byte("name: nodes3\nruntime: nodejs20.x\nhandler: index.handler\nmemory: 256\ntimeout: 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t)
	if _, _, err := apiclient.New(p.endpoint, p.key.APIKey).Deploy(ctx, apiclient.DeployRequest{Zip: zipDir(t, dir)}); err != nil {
		t.Fatal(err)
	}
	for i, ev := range []string{
		`{"create": true, "bucket": "from-node", "key": "greeting.txt", "body": "hello from node"}`,
		`{"bucket": "from-node", "key": "dir/second.txt", "body": "again"}`,
	} {
		out, err := p.lambda().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nodes3"), Payload: []byte(ev)})
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Body, Type, Etag string }
		if out.FunctionError != nil || json.Unmarshal(out.Payload, &got) != nil {
			t.Fatalf("call %d: %s", i, out.Payload)
		}
		var in struct{ Body string }
		_ = json.Unmarshal([]byte(ev), &in)
		if got.Body != in.Body || got.Type != "text/plain" || len(got.Etag) != 34 {
			t.Errorf("call %d: %+v", i, got)
		}
	}
}

// zipDir zips a directory tree (symlinks skipped).
func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
