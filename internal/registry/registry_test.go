package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/store"
)

// open starts a real embedded store in dir and a registry over it; both are
// closed at the end of the test (closing twice is fine).
// openKeyed is open with a master key kept beside dir, the same on every
// reopen: definitions with an environment are sealed under it.
func openKeyed(t *testing.T, dir string) (*store.Store, *Registry) {
	t.Helper()
	st, r := open(t, dir)
	if err := r.UseMasterKey(filepath.Clean(dir) + ".master.key"); err != nil {
		t.Fatal(err)
	}
	return st, r
}

func open(t *testing.T, dir string) (*store.Store, *Registry) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, err := New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return st, r
}

func testFunction(tenant, name string) *fn.Function {
	now := time.Now().UTC().Round(0)
	return &fn.Function{
		Tenant: tenant, Name: name, Runtime: fn.RuntimePython, Handler: "app.handler",
		MemoryMB: 128, TimeoutSec: 3, Env: map[string]string{"K": "V"},
		CodeSHA256: strings.Repeat("ab", 32), CodeSize: 10, Revision: 1,
		CreatedAt: now, UpdatedAt: now,
	}
}

func wantType(t *testing.T, err error, typ string, status int) {
	t.Helper()
	var e *fn.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *fn.Error %s", err, err, typ)
	}
	if e.Type != typ || e.Status != status {
		t.Fatalf("got %d %s (%s), want %d %s", e.Status, e.Type, e.Message, status, typ)
	}
}

func TestFunctionsPutGetDelete(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())

	_, err := r.GetFunction(ctx, "default", "hello")
	wantType(t, err, fn.TypeResourceNotFound, http.StatusNotFound)

	f := testFunction("default", "hello")
	f.CodeChanged = true
	if err := r.PutFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, err := r.GetFunction(ctx, "default", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if got.Handler != "app.handler" || got.Env["K"] != "V" || !got.CreatedAt.Equal(f.CreatedAt) {
		t.Fatalf("got %+v", got)
	}
	if got.CodeChanged {
		t.Fatal("CodeChanged was stored: it belongs to one deploy's reply")
	}

	// Callers get copies: mutating one changes nothing shared.
	got.Env["K"] = "changed"
	got.MemoryMB = 999
	f.Env["K"] = "changed too"
	again, _ := r.GetFunction(ctx, "default", "hello")
	if again.Env["K"] != "V" || again.MemoryMB != 128 {
		t.Fatalf("shared state was mutated through a copy: %+v", again)
	}

	// Replace.
	f2 := testFunction("default", "hello")
	f2.Revision = 2
	if err := r.PutFunction(ctx, f2); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.GetFunction(ctx, "default", "hello"); got.Revision != 2 {
		t.Fatalf("revision %d after replace, want 2", got.Revision)
	}

	if err := r.DeleteFunction(ctx, "default", "hello"); err != nil {
		t.Fatal(err)
	}
	_, err = r.GetFunction(ctx, "default", "hello")
	wantType(t, err, fn.TypeResourceNotFound, http.StatusNotFound)
	wantType(t, r.DeleteFunction(ctx, "default", "hello"), fn.TypeResourceNotFound, http.StatusNotFound)

	// The watcher delivering the old puts and the delete late changes nothing.
	time.Sleep(50 * time.Millisecond)
	if _, err := r.GetFunction(ctx, "default", "hello"); !fn.IsNotFound(err) {
		t.Fatalf("deleted function came back: %v", err)
	}
	// And a new put after a delete is seen.
	if err := r.PutFunction(ctx, testFunction("default", "hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetFunction(ctx, "default", "hello"); err != nil {
		t.Fatal(err)
	}
}

func TestPutFunctionValidates(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())
	wantType(t, r.PutFunction(ctx, testFunction("default", "bad.name")), fn.TypeInvalidParameterValue, http.StatusBadRequest)
	wantType(t, r.PutFunction(ctx, testFunction("Bad*Tenant", "ok")), fn.TypeInvalidParameterValue, http.StatusBadRequest)
}

func TestTenantsIsolated(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())
	for _, f := range []*fn.Function{
		testFunction("alpha", "zeta"), testFunction("alpha", "beta"), testFunction("alpha", "mid"),
		testFunction("bravo", "beta"), testFunction("bravo", "only-bravo"),
	} {
		if err := r.PutFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	names := func(tenant string) string {
		fs, err := r.ListFunctions(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, f := range fs {
			if f.Tenant != tenant {
				t.Fatalf("tenant %s listed %s's function %s", tenant, f.Tenant, f.Name)
			}
			s = append(s, f.Name)
		}
		return strings.Join(s, ",")
	}
	if got := names("alpha"); got != "beta,mid,zeta" {
		t.Fatalf("alpha lists %q", got)
	}
	if got := names("bravo"); got != "beta,only-bravo" {
		t.Fatalf("bravo lists %q", got)
	}
	if got := names("charlie"); got != "" {
		t.Fatalf("charlie lists %q", got)
	}
	if _, err := r.GetFunction(ctx, "alpha", "only-bravo"); !fn.IsNotFound(err) {
		t.Fatalf("alpha sees bravo's function: %v", err)
	}
	if err := r.DeleteFunction(ctx, "alpha", "only-bravo"); !fn.IsNotFound(err) {
		t.Fatalf("alpha deleted bravo's function: %v", err)
	}
	if err := r.DeleteFunction(ctx, "alpha", "beta"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetFunction(ctx, "bravo", "beta"); err != nil {
		t.Fatalf("deleting alpha/beta removed bravo/beta: %v", err)
	}
}

func TestSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, r := openKeyed(t, dir)
	if err := r.PutFunction(ctx, testFunction("default", "keep")); err != nil {
		t.Fatal(err)
	}
	if err := r.PutFunction(ctx, testFunction("default", "gone")); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteFunction(ctx, "default", "gone"); err != nil {
		t.Fatal(err)
	}
	zip := []byte("not really a zip, the registry does not care")
	sha := sum(zip)
	if err := r.PutCode(ctx, sha, zip); err != nil {
		t.Fatal(err)
	}
	key, err := r.CreateAPIKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	_, r = openKeyed(t, dir)
	fs, err := r.ListFunctions(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Name != "keep" || fs[0].Env["K"] != "V" {
		t.Fatalf("after reopen: %+v", fs)
	}
	got, err := r.GetCode(ctx, sha)
	if err != nil || !bytes.Equal(got, zip) {
		t.Fatalf("code after reopen: %q, %v", got, err)
	}
	if tenant, err := r.Authenticate(ctx, key); err != nil || tenant != "acme" {
		t.Fatalf("key after reopen: %q, %v", tenant, err)
	}
}

// TestSecondRegistrySeesWrites stands in for a second node on the same NATS
// cluster: its watcher picks up another registry's puts and deletes.
func TestSecondRegistrySeesWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, r1 := openKeyed(t, dir)
	r2, err := New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if err := r2.UseMasterKey(filepath.Clean(dir) + ".master.key"); err != nil {
		t.Fatal(err)
	}
	if err := r1.PutFunction(ctx, testFunction("default", "shared")); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { _, err := r2.GetFunction(ctx, "default", "shared"); return err == nil })
	if err := r1.DeleteFunction(ctx, "default", "shared"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { _, err := r2.GetFunction(ctx, "default", "shared"); return fn.IsNotFound(err) })
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCode(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())
	zip := bytes.Repeat([]byte("code"), 100_000) // several object-store chunks
	sha := sum(zip)
	if ok, err := r.HasCode(ctx, sha); err != nil || ok {
		t.Fatalf("HasCode before put: %v, %v", ok, err)
	}
	for range 2 { // idempotent
		if err := r.PutCode(ctx, sha, zip); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := r.HasCode(ctx, sha); err != nil || !ok {
		t.Fatalf("HasCode after put: %v, %v", ok, err)
	}
	got, err := r.GetCode(ctx, sha)
	if err != nil || !bytes.Equal(got, zip) {
		t.Fatalf("GetCode: %d bytes, %v", len(got), err)
	}
	if err := r.PutCode(ctx, sha, []byte("other")); err == nil {
		t.Fatal("PutCode accepted content whose sha256 is not the name")
	}
	if _, err := r.GetCode(ctx, sum([]byte("missing"))); err == nil {
		t.Fatal("GetCode of a missing object succeeded")
	}
	if _, err := r.HasCode(ctx, "../etc"); err == nil {
		t.Fatal("HasCode accepted a name that is not a sha256")
	}
}

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())
	key, err := r.CreateAPIKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "upd_") || len(key) != keyLen {
		t.Fatalf("key %q", key)
	}
	if tenant, err := r.Authenticate(ctx, key); err != nil || tenant != "acme" {
		t.Fatalf("Authenticate: %q, %v", tenant, err)
	}
	// Only the hash is stored.
	if _, err := r.apiKeys.Get(ctx, key); err == nil {
		t.Fatal("the plain key is stored")
	}
	if _, err := r.apiKeys.Get(ctx, hashKey(key)); err != nil {
		t.Fatalf("the key's hash is not stored: %v", err)
	}
	// A key created by another registry (another node) is found in KV.
	r.keysMu.Lock()
	clear(r.keys)
	r.keysMu.Unlock()
	if tenant, err := r.Authenticate(ctx, key); err != nil || tenant != "acme" {
		t.Fatalf("Authenticate from KV: %q, %v", tenant, err)
	}
	for _, bad := range []string{"", "nope", key[:len(key)-1] + "x", "upd_" + strings.Repeat("0", 64)} {
		_, err := r.Authenticate(ctx, bad)
		wantType(t, err, fn.TypeUnrecognizedClient, http.StatusUnauthorized)
		if !strings.Contains(err.Error(), "admin.key") {
			t.Fatalf("401 does not say how to get a key: %v", err)
		}
	}
	if _, err := r.CreateAPIKey(ctx, "Not A Tenant"); err == nil {
		t.Fatal("CreateAPIKey accepted an invalid tenant")
	}
}

func TestEnsureAdminKey(t *testing.T) {
	ctx := context.Background()
	_, r := openKeyed(t, t.TempDir())
	path := filepath.Join(t.TempDir(), "data", "admin.key")

	created, err := r.EnsureAdminKey(ctx, path)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode %v, want 0700", di.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(data), "\n") {
		t.Fatalf("key file %q does not end in a newline", data)
	}
	key := strings.TrimSpace(string(data))
	if tenant, err := r.Authenticate(ctx, key); err != nil || tenant != DefaultTenant {
		t.Fatalf("admin key authenticates as %q, %v", tenant, err)
	}

	created, err = r.EnsureAdminKey(ctx, path)
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v", created, err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Fatal("second call rewrote the key file")
	}

	// A key this store does not know, in a store that holds no API key
	// (e.g. the store was wiped), is replaced; the old file is kept.
	_, r2 := open(t, t.TempDir())
	unknown := []byte("upd_" + strings.Repeat("1", 64) + "\n")
	if err := os.WriteFile(path, unknown, 0o600); err != nil {
		t.Fatal(err)
	}
	created, err = r2.EnsureAdminKey(ctx, path)
	if err != nil || !created {
		t.Fatalf("unknown key: created=%v err=%v", created, err)
	}
	data, _ = os.ReadFile(path)
	if tenant, err := r2.Authenticate(ctx, strings.TrimSpace(string(data))); err != nil || tenant != DefaultTenant {
		t.Fatalf("replaced key authenticates as %q, %v", tenant, err)
	}
	if old, _ := os.ReadFile(path + ".old"); !bytes.Equal(old, unknown) {
		t.Fatalf("old key file not kept: %q", old)
	}
}

func TestCloseStopsPromptly(t *testing.T) {
	_, r := openKeyed(t, t.TempDir())
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return in 5s")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func BenchmarkGetFunction(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r, err := New(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.PutFunction(ctx, testFunction("default", "hot")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.GetFunction(ctx, "default", "hot"); err != nil {
			b.Fatal(err)
		}
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestCloseAfterStoreClosed(t *testing.T) {
	st, r := openKeyed(t, t.TempDir())
	st.Close()
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close after the store closed did not return in 5s")
	}
}
