package registry

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// After a rotation, every sealed value opens with the new key and none
// with the old one; a registry started on the new key reads them all.
func TestRotateMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master := filepath.Join(t.TempDir(), "master.key")
	st, r := open(t, dir)
	if err := r.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	if err := r.EnsureTenants(ctx); err != nil {
		t.Fatal(err)
	}
	k, err := r.CreateKey(ctx, KeySpec{Tenant: DefaultTenant})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetSecret(ctx, DefaultTenant, "token", []byte("s3cr3t")); err != nil {
		t.Fatal(err)
	}
	f := &fn.Function{Tenant: DefaultTenant, Name: "app", Runtime: fn.RuntimePython, Handler: "a.h", MemoryMB: 128, TimeoutSec: 3,
		Env: map[string]string{"A": "alpha"}}
	if err := r.PutFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(master)
	if err != nil {
		t.Fatal(err)
	}
	rot, err := r.RotateMasterKey(ctx, master)
	if err != nil {
		t.Fatal(err)
	}
	if rot.AccessKeys != 1 || rot.Secrets != 1 || rot.Functions != 1 {
		t.Fatalf("rotation %+v", rot)
	}
	after, err := os.ReadFile(master)
	if err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile(master + oldSuffix); err != nil || string(old) != string(before) || string(after) == string(before) {
		t.Fatalf("key files after rotation: old kept %v, replaced %v", err == nil, string(after) != string(before))
	}
	if _, err := os.Stat(master + rotatingSuffix); !os.IsNotExist(err) {
		t.Fatalf("the rotating key file is left: %v", err)
	}
	r.Close()
	st.Close()

	// The old key opens nothing any more: a start on it fails, naming
	// the definition it cannot open.
	st, r = open(t, dir)
	if err := r.UseMasterKey(master + oldSuffix); err == nil {
		t.Fatal("the old key still opens the stored environments")
	}
	if _, err := r.SecretValue(ctx, DefaultTenant, "token"); err == nil {
		t.Fatal("the old key still opens a secret")
	}
	if _, _, err := r.AccessKey(ctx, k.AccessKeyID); err == nil {
		t.Fatal("the old key still opens an access key")
	}
	r.Close()
	st.Close()

	// The new key opens everything.
	_, r = open(t, dir)
	if err := r.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	if v, err := r.SecretValue(ctx, DefaultTenant, "token"); err != nil || string(v) != "s3cr3t" {
		t.Fatalf("secret after rotation: %q %v", v, err)
	}
	if _, secret, err := r.AccessKey(ctx, k.AccessKeyID); err != nil || secret != k.SecretAccessKey {
		t.Fatalf("access key after rotation: %v", err)
	}
	if got, err := r.GetFunction(ctx, DefaultTenant, "app"); err != nil || got.Env["A"] != "alpha" {
		t.Fatalf("environment after rotation: %v %v", got, err)
	}
}
