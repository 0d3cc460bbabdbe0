package registry

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TestAccessKeys: a pair verifies after a restart, its secret is sealed at
// rest, and another master key cannot unseal it.
func TestAccessKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master := filepath.Join(t.TempDir(), "master.key")
	st, r := open(t, dir)
	if _, _, err := r.CreateAccessKey(ctx, "acme"); err == nil {
		t.Fatal("created an access key without a master key")
	}
	if err := r.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(master); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != masterKeyLen {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	if _, err := r.CreateKey(ctx, KeySpec{Tenant: "acme"}); !fn.IsNotFound(err) {
		t.Fatalf("a key for a tenant that does not exist: %v, want 404", err)
	}
	if _, err := r.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	k, err := r.CreateKey(ctx, KeySpec{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if tenant, err := r.Authenticate(ctx, k.APIKey); err != nil || tenant != "acme" {
		t.Fatalf("API key of the pair: %q %v", tenant, err)
	}
	e, err := r.accessKeys.Get(ctx, k.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(e.Value(), []byte(k.SecretAccessKey)) {
		t.Fatal("the secret is stored in the clear")
	}
	_, _, err = r.AccessKey(ctx, "AKUDAAAAAAAAAAAAAAAA")
	wantType(t, err, fn.TypeUnrecognizedClient, http.StatusForbidden)
	r.Close()
	st.Close()

	_, r = open(t, dir)
	if err := r.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	tenant, secret, err := r.AccessKey(ctx, k.AccessKeyID)
	if err != nil || tenant != "acme" || secret != k.SecretAccessKey {
		t.Fatalf("after reopen: %q %q %v", tenant, secret, err)
	}

	// Another install's master key cannot unseal it.
	other := filepath.Join(t.TempDir(), "master.key")
	r.keysMu.Lock()
	delete(r.access, k.AccessKeyID)
	r.keysMu.Unlock()
	if err := r.UseMasterKey(other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.AccessKey(ctx, k.AccessKeyID); err == nil || !strings.Contains(err.Error(), "unseal") {
		t.Fatalf("unsealed with another master key: %v", err)
	}
	if err := os.WriteFile(other, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.UseMasterKey(other); err == nil {
		t.Fatal("accepted a truncated master key")
	}
}

func TestEnsureAdminCredentials(t *testing.T) {
	ctx := context.Background()
	_, r := open(t, t.TempDir())
	if err := r.UseMasterKey(filepath.Join(t.TempDir(), "master.key")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "admin.credentials")
	created, err := r.EnsureAdminCredentials(ctx, path)
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	data, _ := os.ReadFile(path)
	id := credentialsKeyID(path)
	if !strings.HasPrefix(string(data), "[default]\n") || id == "" {
		t.Fatalf("credentials file: %q", data)
	}
	if tenant, _, err := r.AccessKey(ctx, id); err != nil || tenant != DefaultTenant {
		t.Fatalf("admin pair: %q %v", tenant, err)
	}
	if created, err := r.EnsureAdminCredentials(ctx, path); err != nil || created {
		t.Fatalf("second: %v %v", created, err)
	}
}
