package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/store"
)

// env is a real embedded store, a registry over it and a Deployer.
type env struct {
	storeDir string
	st       *store.Store
	reg      *registry.Registry
	dep      *Deployer
	cacheDir string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{storeDir: t.TempDir()}
	e.open(t)
	return e
}

// open (re)opens the store and registry and makes a Deployer with a fresh
// code cache.
func (e *env) open(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: e.storeDir})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(ctx, st)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := reg.UseMasterKey(filepath.Join(t.TempDir(), "master.key")); err != nil {
		t.Fatal(err)
	}
	e.st, e.reg = st, reg
	t.Cleanup(e.close)
	e.dep, e.cacheDir = newDeployer(t, reg)
}

func (e *env) close() {
	e.reg.Close()
	e.st.Close()
}

// newDeployer makes a Deployer with its own cache, removed at the end even
// though extract made it read-only.
func newDeployer(t *testing.T, reg *registry.Registry) (*Deployer, string) {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "code")
	t.Cleanup(func() { removeTree(cache) })
	dep, err := New(reg, cache, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return dep, cache
}

// zipEntry is one entry of a test zip; a zero mode is 0644.
type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

func makeZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeTree writes files (path → content; a path ending in * is executable)
// under a new directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		mode := fs.FileMode(0o644)
		if n := len(name); name[n-1] == '*' {
			name, mode = name[:n-1], 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func wantErr(t *testing.T, err error, typ string, status int) *fn.Error {
	t.Helper()
	var e *fn.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want *fn.Error %d %s", err, err, status, typ)
	}
	if e.Type != typ || e.Status != status {
		t.Fatalf("got %d %s: %s; want %d %s", e.Status, e.Type, e.Message, status, typ)
	}
	return e
}
