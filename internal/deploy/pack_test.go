package deploy

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPackageDir(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"bootstrap*":      "#!/bin/sh\n",
		"b/z.txt":         "z",
		"b/a.txt":         "a",
		"a.txt":           "top",
		"empty/.keep":     "",
		"lib/helper.sh*":  "echo",
		"updraft.yaml":    "name: x\n",
		"deep/er/est.txt": "deep",
	})
	if err := os.Symlink("a.txt", filepath.Join(dir, "alias.txt")); err != nil {
		t.Fatal(err)
	}
	z1, err := PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Touching every file changes nothing: the zip is deterministic.
	later := time.Now().Add(time.Hour)
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error { return os.Chtimes(p, later, later) })
	z2, err := PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sha(z1) != sha(z2) {
		t.Fatal("packaging the same tree twice gave different zips")
	}

	zr, err := zip.NewReader(bytes.NewReader(z1), int64(len(z1)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		byName[f.Name] = f
	}
	want := "a.txt alias.txt b/ b/a.txt b/z.txt bootstrap deep/ deep/er/ deep/er/est.txt empty/ empty/.keep lib/ lib/helper.sh updraft.yaml"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("entries\n got %s\nwant %s", got, want)
	}
	for name, perm := range map[string]os.FileMode{"bootstrap": 0o755, "lib/helper.sh": 0o755, "a.txt": 0o644, "alias.txt": 0o644} {
		if got := byName[name].Mode(); got.Perm() != perm || !got.IsRegular() {
			t.Errorf("%s has mode %v, want regular %v", name, got, perm)
		}
	}
	rc, _ := byName["alias.txt"].Open()
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "top" {
		t.Fatalf("symlink inside the dir stored as %q, want the file's content", body)
	}
	// And the result passes the deploy checks.
	if _, err := openZip(z1); err != nil {
		t.Fatal(err)
	}
}

func TestPackageDirRefusesEscapes(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{"app.py": "x"})
	if err := os.Symlink(outside, filepath.Join(dir, "leak")); err != nil {
		t.Fatal(err)
	}
	if _, err := PackageDir(dir); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("symlink out of the dir: %v", err)
	}

	dir = writeTree(t, map[string]string{"sub/a": "x"})
	if err := os.Symlink("sub", filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	if _, err := PackageDir(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("symlink to a directory: %v", err)
	}

	if _, err := PackageDir(filepath.Join(dir, "sub", "a")); err == nil {
		t.Fatal("packaged a file as a directory")
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
