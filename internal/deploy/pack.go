package deploy

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// packTime is every entry's modification time, so packing the same files
// gives the same bytes and the same sha256. It is the earliest time a zip
// (MS-DOS) timestamp holds.
var packTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// PackageDir zips the directory dir for upload: its regular files (mode
// 0755 if any execute bit is set, else 0644) and directories, in sorted
// order, with a fixed timestamp, so the same tree always gives the same zip.
// A symlink to a file inside dir is stored as a copy of that file; a symlink
// that leads outside dir, a symlink to a directory, or a special file is an
// error naming it.
func PackageDir(dir string) ([]byte, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	if fi, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("package %s: not a directory", dir)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// The fastest deflate level: code is mostly small text or one large
	// binary, for which the best level costs several times the CPU for a
	// few per cent of size.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	var total int64
	// WalkDir visits entries in lexical order and does not follow symlinks.
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		src := p
		if d.Type()&fs.ModeSymlink != 0 {
			if src, err = symlinkTarget(dir, root, p, rel); err != nil {
				return err
			}
		}
		fi, err := os.Stat(src)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			_, err := zw.CreateHeader(packHeader(name+"/", fs.ModeDir|0o755, zip.Store))
			return err
		case !fi.Mode().IsRegular():
			return fmt.Errorf("package %s: %s is a special file (%v): only files and directories can be deployed", dir, rel, fi.Mode().Type())
		}
		if total += fi.Size(); total > fn.MaxUnzippedBytes {
			return fn.InvalidParameter("package %s: unzipped size must be smaller than %d bytes", dir, fn.MaxUnzippedBytes)
		}
		mode := fs.FileMode(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		w, err := zw.CreateHeader(packHeader(name, mode, zip.Deflate))
		if err != nil {
			return err
		}
		return copyFile(w, src)
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	if buf.Len() > fn.MaxZippedBytes {
		return nil, fn.Errorf(http.StatusRequestEntityTooLarge, fn.TypeRequestEntityTooLarge,
			"package %s: the zipped code is %d bytes: it must be at most %d bytes", dir, buf.Len(), fn.MaxZippedBytes)
	}
	return buf.Bytes(), nil
}

// symlinkTarget resolves the symlink p and returns its target if that is a
// file inside root.
func symlinkTarget(dir, root, p, rel string) (string, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("package %s: symlink %s: %w", dir, rel, err)
	}
	in, err := filepath.Rel(root, target)
	if err != nil || !filepath.IsLocal(in) {
		return "", fmt.Errorf("package %s: %s is a symlink to %s, outside the directory: copy the file in instead", dir, rel, target)
	}
	if fi, err := os.Stat(target); err != nil {
		return "", fmt.Errorf("package %s: symlink %s: %w", dir, rel, err)
	} else if fi.IsDir() {
		return "", fmt.Errorf("package %s: %s is a symlink to a directory: symlinked directories are not packaged, copy or move the directory in instead", dir, rel)
	}
	return target, nil
}

func packHeader(name string, mode fs.FileMode, method uint16) *zip.FileHeader {
	h := &zip.FileHeader{Name: name, Method: method, Modified: packTime}
	h.SetMode(mode)
	return h
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
