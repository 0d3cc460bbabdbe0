package compat

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// platform is a running daemon and credentials of its admin tenant.
type platform struct {
	endpoint string
	key      *apiclient.Key
	daemon   *daemon.Daemon
}

// start runs the real daemon in-process on 127.0.0.1:0 with a temp data
// dir and creates a key the way `updraft keys create` does.
func start(t *testing.T) *platform {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.RoutesListen = "127.0.0.1:0" // a port of its own: tests run side by side
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	})
	admin, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + d.Addr()
	k, err := apiclient.New(endpoint, strings.TrimSpace(string(admin))).CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if k.APIKey == "" || !strings.HasPrefix(k.AccessKeyID, "AKUD") || len(k.SecretAccessKey) != 40 {
		t.Fatalf("keys create returned %+v", k)
	}
	return &platform{endpoint: endpoint, key: k, daemon: d}
}

// tenantKey creates tenant with the platform admin's key admin, and an
// admin key of it.
func (p *platform) tenantKey(ctx context.Context, t *testing.T, admin, tenant string) (*apiclient.Key, error) {
	t.Helper()
	c := apiclient.New(p.endpoint, admin)
	if _, err := c.CreateTenant(ctx, tenant, nil); err != nil {
		t.Fatalf("create tenant %s: %v", tenant, err)
	}
	return c.CreateKey(ctx, tenant)
}

// client is the real AWS SDK Lambda client pointed at the platform.
func (p *platform) client(id, secret string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "local",
		BaseEndpoint: aws.String(p.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func (p *platform) lambda() *lambda.Client { return p.client(p.key.AccessKeyID, p.key.SecretAccessKey) }

// zipOf builds a zip of files (name → content); names ending in bootstrap
// are executable.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "bootstrap") {
			mode = 0o755
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pythonZip is a Python function answering {"version": version, "event": event}.
func pythonZip(t *testing.T, version string) []byte {
	return zipOf(t, map[string]string{"app.py": `import os
def handler(event, context):
    print("hello from the log of ` + version + `")
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    return {"version": "` + version + `", "event": event, "env": os.environ.get("GREETING", "")}
`})
}

// wantAPIError checks err is an AWS API error of type code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if ae.ErrorMessage() == "" {
		t.Errorf("%s has no message", code)
	}
}

// logged reads the JSON values a function printed so far, one per log
// line after prefix.
func logged[T any](ctx context.Context, t *testing.T, api *apiclient.Client, function, prefix string) []T {
	t.Helper()
	var out []T
	err := api.Logs(ctx, function, "", false, func(e fn.LogEntry) error {
		for _, line := range strings.Split(e.Message, "\n") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
			if !ok {
				continue
			}
			var v T
			if err := json.Unmarshal([]byte(rest), &v); err != nil {
				return fmt.Errorf("%s logged a line that is not JSON: %q: %w", function, rest, err)
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
