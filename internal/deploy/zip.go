package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// archive is a zip whose entries passed the safety checks, indexed by their
// clean slash-separated paths.
type archive struct {
	zr    *zip.Reader
	files map[string]*zip.File // regular files
	dirs  map[string]bool      // directories, explicit or implied by a file's path
	order []*zip.File          // entries to extract, in zip order
}

// maxManifestBytes bounds updraft.yaml.
const maxManifestBytes = 1 << 20

// openZip checks every entry of data without extracting anything: a name
// that could escape the destination, a symlink or special file, a duplicate
// or a file/directory clash is an InvalidZipFileException naming the entry;
// more than fn.MaxUnzippedBytes declared in total is an
// InvalidParameterValueException. Sizes are checked again while extracting.
func openZip(data []byte) (*archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // insecure paths are reported below, by name
		return nil, invalidZip("could not unzip the uploaded file: %v", err)
	}
	a := &archive{zr: zr, files: make(map[string]*zip.File), dirs: make(map[string]bool)}
	var total uint64
	for _, f := range zr.File {
		p, isDir, err := entryPath(f)
		if err != nil {
			return nil, err
		}
		if p == "" { // "./" and the like
			continue
		}
		if f.UncompressedSize64 > fn.MaxUnzippedBytes-total {
			return nil, unzippedTooLarge()
		}
		total += f.UncompressedSize64
		if _, dup := a.files[p]; dup && !isDir {
			return nil, invalidZip("could not unzip the uploaded file: entry %q appears twice", f.Name)
		}
		if isDir {
			a.dirs[p] = true
		} else {
			a.files[p] = f
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			a.dirs[d] = true
		}
		a.order = append(a.order, f)
	}
	for p, f := range a.files {
		if a.dirs[p] {
			return nil, invalidZip("could not unzip the uploaded file: entry %q is both a file and a directory", f.Name)
		}
	}
	return a, nil
}

// entryPath returns f's clean relative path ("" for the root itself) or an
// InvalidZipFileException saying why the entry is refused.
func entryPath(f *zip.File) (p string, isDir bool, err error) {
	name := f.Name
	if name == "" || strings.ContainsRune(name, 0) {
		return "", false, invalidZip("could not unzip the uploaded file: entry %q has an invalid name", name)
	}
	slashed := strings.ReplaceAll(name, `\`, "/") // zips made on Windows may use backslashes
	if strings.HasPrefix(slashed, "/") || (len(slashed) >= 2 && slashed[1] == ':') {
		return "", false, invalidZip("could not unzip the uploaded file: entry %q has an absolute path: paths must be relative to the code's root", name)
	}
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			return "", false, invalidZip("could not unzip the uploaded file: entry %q has a .. path component: it would be written outside the code's directory", name)
		}
	}
	mode := f.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return "", false, invalidZip("could not unzip the uploaded file: entry %q is a symbolic link: symlinks are not allowed, put a copy of the file in the zip instead", name)
	case mode.IsDir() || strings.HasSuffix(slashed, "/"):
		isDir = true
	case !mode.IsRegular():
		return "", false, invalidZip("could not unzip the uploaded file: entry %q is a special file (%v): only files and directories are allowed", name, mode.Type())
	}
	p = path.Clean(slashed)
	if p == "." {
		return "", isDir, nil
	}
	if !filepath.IsLocal(filepath.FromSlash(p)) { // belt and braces
		return "", false, invalidZip("could not unzip the uploaded file: entry %q is not a local path", name)
	}
	return p, isDir, nil
}

// file returns the regular file at p, or nil.
func (a *archive) file(p string) *zip.File { return a.files[p] }

// readFile reads the regular file at p, up to limit bytes.
func (a *archive) readFile(p string, limit int64) ([]byte, error) {
	f := a.files[p]
	if f == nil {
		return nil, os.ErrNotExist
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fn.InvalidParameter("%s is %d bytes: the limit is %d", p, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, invalidZip("could not unzip the uploaded file: entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, readError(f, err)
	}
	if int64(len(data)) > limit {
		return nil, fn.InvalidParameter("%s is larger than %d bytes", p, limit)
	}
	return data, nil
}

// extract writes the archive under dst, which must exist and be empty. The
// bytes actually written are counted against fn.MaxUnzippedBytes, whatever
// the headers say. Files become read-only (0444, or 0555 when any execute
// bit is set in the zip), and so do directories (0555), dst included.
func (a *archive) extract(ctx context.Context, dst string) error {
	var written int64
	for _, f := range a.order {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, isDir, _ := entryPath(f) // checked by openZip
		target := filepath.Join(dst, filepath.FromSlash(p))
		if isDir {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("deploy: unpack %s: %w", p, err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("deploy: unpack %s: %w", p, err)
		}
		n, err := extractFile(f, target, fn.MaxUnzippedBytes-written)
		written += n
		if err != nil {
			return err
		}
	}
	return filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return nil
	})
}

// extractFile writes f to target, at most budget bytes, and returns how many
// bytes it wrote.
func extractFile(f *zip.File, target string, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, invalidZip("could not unzip the uploaded file: entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("deploy: unpack %s: %w", f.Name, err)
	}
	n, err := io.Copy(out, &readErrMarker{r: io.LimitReader(rc, budget+1)})
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	var rm *readErr
	switch {
	case errors.As(err, &rm):
		return n, readError(f, rm.err)
	case err != nil:
		return n, fmt.Errorf("deploy: unpack %s: %w", f.Name, err)
	case n > budget:
		return n, unzippedTooLarge()
	}
	mode := os.FileMode(0o444)
	if f.Mode()&0o111 != 0 {
		mode = 0o555
	}
	if err := os.Chmod(target, mode); err != nil {
		return n, fmt.Errorf("deploy: unpack %s: %w", f.Name, err)
	}
	return n, nil
}

// readErrMarker tells errors reading the zip apart from errors writing the
// disk, which io.Copy returns alike.
type readErrMarker struct{ r io.Reader }

type readErr struct{ err error }

func (e *readErr) Error() string { return e.err.Error() }

func (m *readErrMarker) Read(b []byte) (int, error) {
	n, err := m.r.Read(b)
	if err != nil && err != io.EOF {
		err = &readErr{err}
	}
	return n, err
}

// readError explains a failure to decompress entry f.
func readError(f *zip.File, err error) error {
	if errors.Is(err, zip.ErrFormat) {
		// archive/zip reports data beyond the header's size this way.
		return invalidZip("could not unzip the uploaded file: entry %q holds more data than its header declares (%d bytes): the zip is corrupt or a zip bomb", f.Name, f.UncompressedSize64)
	}
	return invalidZip("could not unzip the uploaded file: entry %q: %v", f.Name, err)
}

func invalidZip(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, fn.TypeInvalidZipFile, format, args...)
}

func unzippedTooLarge() *fn.Error {
	return fn.InvalidParameter("unzipped size must be smaller than %d bytes", fn.MaxUnzippedBytes)
}

// removeTree removes a directory that extract made read-only.
func removeTree(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
