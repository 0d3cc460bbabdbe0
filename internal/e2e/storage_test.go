package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// TestDeletingFunctionsFreesCode deletes 10 functions through the API and
// waits for the server's collection to free their code objects and
// unpacked directories, while a function that stays keeps running.
func TestDeletingFunctionsFreesCode(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir, cfg.Listen, cfg.FunctionMemoryMB = dataDir, "127.0.0.1:0", 1024
	cfg.CodeGrace = time.Millisecond // code is collectable as soon as it is unreferenced
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	c := apiclient.New("http://"+d.Addr(), strings.TrimSpace(string(key)))

	const pad = 64 << 10
	deploy := func(name string) *fn.Function {
		f, _, err := c.Deploy(ctx, apiclient.DeployRequest{Name: name, Runtime: "python3.12", Handler: "app.handler", Zip: padZip(t, pad)})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	keep := deploy("keep")
	if _, err := c.Invoke(ctx, "keep", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var gone []*fn.Function
	for i := range 10 {
		gone = append(gone, deploy("f"+strconv.Itoa(i)))
	}
	before := codeStore(t, c)
	for _, f := range gone {
		if err := c.DeleteFunction(ctx, f.Name); err != nil {
			t.Fatal(err)
		}
	}
	// The collection runs a couple of seconds after the deletes.
	var after uint64
	deadline := time.Now().Add(60 * time.Second)
	for {
		after = codeStore(t, c)
		left := 0
		for _, f := range gone {
			if _, err := os.Stat(filepath.Join(cfg.CodeDir(), f.CodeSHA256)); err == nil {
				left++
			}
		}
		if before-after >= 10*pad && left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("code store %d → %d bytes, %d of 10 unpacked directories left, a minute after deleting 10 functions of %d bytes of code each", before, after, left, pad)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("code store %d → %d bytes after deleting 10 functions", before, after)
	if _, err := os.Stat(filepath.Join(cfg.CodeDir(), keep.CodeSHA256)); err != nil {
		t.Fatalf("the kept function's code directory: %v", err)
	}
	if _, err := c.Invoke(ctx, "keep", []byte(`{}`)); err != nil {
		t.Fatalf("the kept function after the collection: %v", err)
	}

	// A tenant sees its own row only.
	if _, err := c.CreateTenant(ctx, "team-a", nil); err != nil {
		t.Fatal(err)
	}
	k, err := c.CreateKey(ctx, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	s, err := apiclient.New("http://"+d.Addr(), k.APIKey).Storage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stores) != 0 || len(s.Tenants) != 1 || s.Tenants[0].Tenant != "team-a" || s.Tenants[0].CodeBytes != 0 {
		t.Fatalf("team-a's view: %+v", s)
	}
}

// codeStore is the size of the code object store as the admin sees it.
func codeStore(t *testing.T, c *apiclient.Client) uint64 {
	t.Helper()
	s, err := c.Storage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Stores {
		if st.Name == "code" && st.Kind == "objects" {
			return st.Bytes
		}
	}
	t.Fatalf("no code store in %+v", s.Stores)
	return 0
}

// padZip is a Python function with n incompressible bytes beside it.
func padZip(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string][]byte{"app.py": []byte("def handler(event, context):\n    return event\n"), "pad.bin": b} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
