package stack

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/updraft-dev/updraft/internal/deploy"
)

// functionZip is the code a template's function deploys: the zip of its
// CodeUri with an updraft.yaml that says what the template says (name,
// runtime, handler, limits, permissions, http triggers) in place of any
// updraft.yaml the directory holds, so the template alone decides. The
// zip is rebuilt with entries in name order and fixed times: the same
// code and settings give the same bytes (`updraft deploy --template`
// zips directories with fixed times), so a redeploy that changes nothing
// changes no function.
func functionZip(src []byte, r *Resource) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		return nil, fmt.Errorf("the code of %s (CodeUri %s) is not a zip: %w", r.LogicalID, r.Function.CodeURI, err)
	}
	manifest, err := manifestOf(r)
	if err != nil {
		return nil, err
	}
	files := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		if f.Name == deploy.ManifestFile || f.FileInfo().IsDir() {
			continue
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stamp := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(name string, mode uint32, body io.Reader) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: stamp}
		h.SetMode(0o644)
		if mode != 0 {
			h.ExternalAttrs = mode
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, body)
		return err
	}
	// Entries are copied as they are compressed: a function's code may be
	// a 20 MB binary, not worth inflating and deflating again.
	for _, f := range files {
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, fmt.Errorf("the code of %s: %s: %w", r.LogicalID, f.Name, err)
		}
		h := f.FileHeader
		w, err := zw.CreateRaw(&h)
		if err == nil {
			_, err = io.Copy(w, raw)
		}
		if err != nil {
			return nil, fmt.Errorf("the code of %s: %s: %w", r.LogicalID, f.Name, err)
		}
	}
	if err := add(deploy.ManifestFile, 0, bytes.NewReader(manifest)); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// manifestOf writes the updraft.yaml of a template's function. Env is not
// in it: the deploy request carries it (sealed at rest like any env).
func manifestOf(r *Resource) ([]byte, error) {
	s := r.Function
	m := map[string]any{"name": r.Name, "runtime": s.Runtime}
	if s.Handler != "" {
		m["handler"] = s.Handler
	}
	if s.MemoryMB > 0 {
		m["memory"] = s.MemoryMB
	}
	if s.TimeoutSec > 0 {
		m["timeout"] = s.TimeoutSec
	}
	if s.EphemeralMB > 0 {
		m["ephemeral_storage"] = s.EphemeralMB
	}
	if s.Permissions != nil {
		m["permissions"] = s.Permissions
	}
	if len(s.Triggers) > 0 {
		var ts []map[string]any
		for _, t := range s.Triggers {
			var entry map[string]any
			if err := json.Unmarshal(t.Spec, &entry); err != nil {
				return nil, fmt.Errorf("trigger of %s: %w", r.LogicalID, err)
			}
			entry["type"] = t.Kind
			ts = append(ts, entry)
		}
		m["triggers"] = ts
	}
	return yaml.Marshal(m)
}
