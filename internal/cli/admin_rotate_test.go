package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
)

// rotate-master-key with the server stopped: after it, a server on the
// new key serves the same keys, secrets and function environments.
func TestAdminRotateMasterKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	serve := func() (*daemon.Daemon, *apiclient.Client) {
		d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(ctx); err != nil {
			t.Fatal(err)
		}
		key, err := os.ReadFile(d.AdminKeyPath())
		if err != nil {
			t.Fatal(err)
		}
		return d, apiclient.New("http://"+d.Addr(), strings.TrimSpace(string(key)))
	}
	d, c := serve()
	k, err := c.CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSecret(ctx, "token", []byte("s3cr3t")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	env := opts{env: map[string]string{"UPDRAFT_DATA_DIR": cfg.DataDir}}
	run(t, nil, env, "admin", "rotate-master-key").want(t, 0, "master key replaced", "")

	d, c = serve()
	defer d.Close(ctx)
	if list, err := c.ListSecrets(ctx); err != nil || len(list) != 1 {
		t.Fatalf("secrets after rotation: %v %v", list, err)
	}
	// The key made before signs in both ways still: its secret was sealed
	// again under the new master key.
	if _, err := apiclient.New("http://"+d.Addr(), k.APIKey).ListFunctions(ctx); err != nil {
		t.Fatalf("API key after rotation: %v", err)
	}
	if _, err := os.Stat(cfg.MasterKeyPath() + ".old"); err != nil {
		t.Fatalf("the old key is not kept: %v", err)
	}
}
