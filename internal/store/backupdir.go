package store

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxManifest bounds the manifest read into memory.
const maxManifest = 16 << 20

// entrySum is what was received or found for one backup file.
type entrySum struct {
	size int64
	sha  string
}

// ExtractBackup writes the archive Backup produced (read from r) into dir,
// which must be absent or empty: the directory 0700, every file 0600.
// The manifest comes last in the archive and is written last, after every
// file it names was checked against its size and SHA-256; a stream that
// ends before it (an interrupted backup) is an error and what was written
// is removed.
func ExtractBackup(r io.Reader, dir string) (_ *Manifest, err error) {
	if err := RequireEmpty(dir, "give a new or empty directory for the backup"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	defer func() {
		if err != nil {
			clearDir(dir)
		}
	}()
	got := map[string]entrySum{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errIncomplete
		}
		if err != nil {
			return nil, fmt.Errorf("store: backup: read archive: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("store: backup: unexpected entry %q in the archive", hdr.Name)
		}
		if hdr.Name == ManifestName {
			return finishExtract(tr, dir, got)
		}
		if err := checkEntryName(hdr.Name); err != nil {
			return nil, err
		}
		if _, dup := got[hdr.Name]; dup {
			return nil, fmt.Errorf("store: backup: %s appears twice in the archive", hdr.Name)
		}
		sum, err := writeEntryFile(filepath.Join(dir, filepath.FromSlash(hdr.Name)), tr)
		if err != nil {
			return nil, fmt.Errorf("store: backup: write %s: %w", hdr.Name, err)
		}
		got[hdr.Name] = sum
	}
}

// finishExtract reads the manifest, checks it against what was received
// and writes it.
func finishExtract(tr io.Reader, dir string, got map[string]entrySum) (*Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(tr, maxManifest))
	if err != nil {
		return nil, fmt.Errorf("store: backup: read manifest: %w", err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, err
	}
	want := manifestEntries(m)
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			return nil, fmt.Errorf("store: backup: %s is in the manifest but not in the archive", name)
		}
		if g != w {
			return nil, fmt.Errorf("store: backup: %s has %d bytes with SHA-256 %s; the manifest says %d bytes with %s", name, g.size, g.sha, w.size, w.sha)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			return nil, fmt.Errorf("store: backup: %s is in the archive but not in the manifest", name)
		}
	}
	if err := writeFileSync(filepath.Join(dir, ManifestName), data); err != nil {
		return nil, fmt.Errorf("store: backup: write manifest: %w", err)
	}
	return m, nil
}

// VerifyBackup reads the manifest of the backup in dir and checks every
// file it names, size and SHA-256, without writing anything.
func VerifyBackup(dir string) (*Manifest, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store: no backup at %s: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %s: %w", dir, errIncomplete)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read backup: %w", err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, err
	}
	for name, w := range manifestEntries(m) {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("store: backup %s is damaged: %w", dir, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("store: backup %s: read %s: %w", dir, name, err)
		}
		if g := (entrySum{n, hex.EncodeToString(h.Sum(nil))}); g != w {
			return nil, fmt.Errorf("store: backup %s is damaged: %s has %d bytes with SHA-256 %s; the manifest says %d bytes with %s", dir, name, g.size, g.sha, w.size, w.sha)
		}
	}
	return m, nil
}

// decodeManifest parses a manifest and checks its format and names.
func decodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("store: backup manifest: %w", err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("store: backup manifest has format %d; this updraft reads format %d", m.Format, BackupFormat)
	}
	for _, s := range m.Streams {
		if s.File != "streams/"+s.Name+".snap" || checkEntryName(s.File) != nil {
			return nil, fmt.Errorf("store: backup manifest: stream %q has a bad file name %q", s.Name, s.File)
		}
	}
	for _, f := range m.Files {
		if f.File != "files/"+f.Name || checkEntryName(f.File) != nil {
			return nil, fmt.Errorf("store: backup manifest: file %q has a bad file name %q", f.Name, f.File)
		}
	}
	return &m, nil
}

// manifestEntries is every file a manifest names with its size and sum.
func manifestEntries(m *Manifest) map[string]entrySum {
	out := map[string]entrySum{}
	for _, s := range m.Streams {
		out[s.File] = entrySum{s.Size, s.SHA256}
	}
	for _, f := range m.Files {
		out[f.File] = entrySum{f.Size, f.SHA256}
	}
	return out
}

// checkEntryName admits streams/<base> and files/<base> only, so an archive
// cannot write outside its directory.
func checkEntryName(name string) error {
	dir, base := path.Split(name)
	if (dir != "streams/" && dir != "files/") || base == "" || base == "." || base == ".." ||
		strings.ContainsAny(base, `/\`) || strings.HasPrefix(base, ".") {
		return fmt.Errorf("store: backup: unexpected entry %q in the archive", name)
	}
	return nil
}

// writeEntryFile writes r to a new 0600 file, creating its directory, and
// returns its size and SHA-256.
func writeEntryFile(p string, r io.Reader) (entrySum, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return entrySum{}, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return entrySum{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return entrySum{}, err
	}
	return entrySum{n, hex.EncodeToString(h.Sum(nil))}, nil
}
