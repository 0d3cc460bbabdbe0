package registry

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Secrets and function environments are sealed at rest: the stored bytes
// hold no plaintext, a reopened registry reads them once the master key
// is loaded, and a secret is bound to its tenant.
func TestSecretsAndEnvSealedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master := filepath.Join(t.TempDir(), "master.key")
	st, r := open(t, dir)
	if err := r.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetSecret(ctx, "acme", "db-password", []byte("hunter2-very-secret")); err != nil {
		t.Fatal(err)
	}
	f := &fn.Function{Tenant: "acme", Name: "app", Runtime: fn.RuntimePython, Handler: "a.h", MemoryMB: 128, TimeoutSec: 3,
		Env: map[string]string{"API_TOKEN": "tok-plaintext-123", "DB": "secret:db-password"}}
	if err := r.PutFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{secretsBucket, functionsBucket} {
		entries, err := kvEntries(ctx, r.js, bucket)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range entries {
			if bytes.Contains(v, []byte("hunter2")) || bytes.Contains(v, []byte("tok-plaintext")) {
				t.Fatalf("%s/%s is stored in the clear: %s", bucket, k, v)
			}
		}
	}
	if v, err := r.SecretValue(ctx, "acme", "db-password"); err != nil || string(v) != "hunter2-very-secret" {
		t.Fatalf("secret value: %q %v", v, err)
	}
	if _, err := r.SecretValue(ctx, "other", "db-password"); !fn.IsNotFound(err) {
		t.Fatalf("another tenant's secret: %v", err)
	}
	list, err := r.ListSecrets(ctx, "acme")
	if err != nil || len(list) != 1 || list[0].Name != "db-password" || list[0].Size != 19 {
		t.Fatalf("list: %+v %v", list, err)
	}
	r.Close()
	st.Close()

	// Reopened: definitions load before the master key; the key unseals them.
	_, r2 := open(t, dir)
	if err := r2.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	got, err := r2.GetFunction(ctx, "acme", "app")
	if err != nil {
		t.Fatal(err)
	}
	if got.Env["API_TOKEN"] != "tok-plaintext-123" || got.Env["DB"] != "secret:db-password" || got.SealedEnv != nil {
		t.Fatalf("env after reopen: %v sealed=%d", got.Env, len(got.SealedEnv))
	}
	if err := r2.DeleteSecret(ctx, "acme", "db-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.SecretValue(ctx, "acme", "db-password"); !fn.IsNotFound(err) {
		t.Fatalf("deleted secret: %v", err)
	}
}
