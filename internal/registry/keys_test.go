package registry

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Keys carry their scope; they are listed without secrets and revoked
// together (API key and access key pair), and a revoked key fails at once,
// also on another registry over the same store (another node) that had it
// cached.
func TestKeysScopeListRevoke(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, r := open(t, dir)
	master := filepath.Join(t.TempDir(), "master.key")
	if err := r.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	other, err := New(ctx, st) // a second node's registry
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.UseMasterKey(master); err != nil {
		t.Fatal(err)
	}
	if err := r.EnsureTenants(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx, "acme"); err == nil || fn.AsError(err).Status != 409 {
		t.Fatalf("creating a tenant twice: %v, want 409", err)
	}
	if _, err := r.CreateKey(ctx, KeySpec{Tenant: "acme", Scope: "root"}); err == nil {
		t.Fatal("a key with an unknown scope was made")
	}
	reader, err := r.CreateKey(ctx, KeySpec{Tenant: "acme", Scope: fn.ScopeRead, Description: "dashboards"})
	if err != nil {
		t.Fatal(err)
	}
	deployer, err := r.CreateKey(ctx, KeySpec{Tenant: "acme", Scope: fn.ScopeDeploy})
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []*Registry{r, other} { // both nodes cache them
		id, err := reg.APIKeyIdentity(ctx, reader.APIKey)
		if err != nil || id.Tenant != "acme" || id.Scope != fn.ScopeRead || id.KeyID != reader.AccessKeyID {
			t.Fatalf("API key identity: %+v %v", id, err)
		}
		if id, err := reg.AccessKeyIdentity(ctx, reader.AccessKeyID); err != nil || id.Scope != fn.ScopeRead {
			t.Fatalf("access key identity: %+v %v", id, err)
		}
	}
	keys, err := r.ListKeys(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != reader.AccessKeyID || keys[0].Description != "dashboards" || !keys[0].APIKey || !keys[0].AccessKey {
		t.Fatalf("keys of acme: %+v", keys)
	}
	if err := r.RevokeKey(ctx, "default", reader.AccessKeyID); !fn.IsNotFound(err) {
		t.Fatalf("revoking acme's key as another tenant: %v, want 404", err)
	}
	if err := r.RevokeKey(ctx, "acme", reader.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, reg := range []*Registry{r, other} {
		for {
			_, err1 := reg.APIKeyIdentity(ctx, reader.APIKey)
			_, err2 := reg.AccessKeyIdentity(ctx, reader.AccessKeyID)
			if err1 != nil && err2 != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a revoked key still works: %v %v", err1, err2)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if _, err := other.APIKeyIdentity(ctx, deployer.APIKey); err != nil {
		t.Fatalf("the other key stopped working: %v", err)
	}
	// Deleting the tenant revokes the rest.
	if err := r.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.APIKeyIdentity(ctx, deployer.APIKey); err == nil {
		t.Fatal("a deleted tenant's key still works")
	}
	if err := r.DeleteTenant(ctx, DefaultTenant); err == nil {
		t.Fatal("the default tenant was deleted")
	}
}
