package registry

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestSessionCredentials(t *testing.T) {
	r := &Registry{}
	if err := r.UseMasterKey(filepath.Join(t.TempDir(), "master.key")); err != nil {
		t.Fatal(err)
	}
	perms := fn.Permissions{{Actions: []string{"s3:GetObject"}, Resources: []string{"photos"}}}
	c, err := r.NewSession(Session{Tenant: "acme", Function: "thumb", Permissions: perms}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !IsSessionKey(c.AccessKeyID) || len(c.SecretAccessKey) != 40 {
		t.Fatalf("credentials %+v", c)
	}
	s, secret, err := r.OpenSession(c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if secret != c.SecretAccessKey || s.Tenant != "acme" || s.Function != "thumb" || len(s.Permissions) != 1 {
		t.Fatalf("opened %+v %q", s, secret)
	}
	other, err := r.NewSession(Session{Tenant: "acme"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A token with another key id, a forged token, a missing one, and one
	// signed under another master key are all refused.
	forged := strings.Replace(c.SessionToken, c.SessionToken[:4], "eyJ0", 1)
	r2 := &Registry{}
	if err := r2.UseMasterKey(filepath.Join(t.TempDir(), "master.key")); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"other key": func() error { _, _, err := r.OpenSession(other.AccessKeyID, c.SessionToken); return err },
		"forged":    func() error { _, _, err := r.OpenSession(c.AccessKeyID, forged+"x"); return err },
		"missing":   func() error { _, _, err := r.OpenSession(c.AccessKeyID, ""); return err },
		"other master": func() error {
			_, _, err := r2.OpenSession(c.AccessKeyID, c.SessionToken)
			return err
		},
	} {
		if err := open(); err == nil || fn.AsError(err).Status != 403 {
			t.Errorf("%s: err = %v, want 403", name, err)
		}
	}
	// Expired.
	short, err := r.NewSession(Session{Tenant: "acme"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	if _, _, err := r.OpenSession(short.AccessKeyID, short.SessionToken); err == nil || fn.AsError(err).Type != fn.TypeExpiredToken {
		t.Errorf("expired session: %v", err)
	}
}

// An empty permission list (nothing allowed) survives the token: it must
// not come back as nil (everything of the tenant).
func TestSessionEmptyPermissions(t *testing.T) {
	r := &Registry{}
	if err := r.UseMasterKey(filepath.Join(t.TempDir(), "master.key")); err != nil {
		t.Fatal(err)
	}
	c, err := r.NewSession(Session{Tenant: "acme", Function: "locked", Permissions: fn.Permissions{}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := r.OpenSession(c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if s.Permissions == nil || s.Permissions.Allows("s3:GetObject", "arn:aws:s3:::x") {
		t.Fatalf("empty permissions came back as %#v", s.Permissions)
	}
}
