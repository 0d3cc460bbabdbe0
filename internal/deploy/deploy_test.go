package deploy

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

const pyManifest = "name: hello\nruntime: python3.12\nhandler: app.handler\nmemory: 256\ntimeout: 10\nenv:\n  GREETING: hi\n  N: 1\n"

func TestDeployLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	dir := writeTree(t, map[string]string{
		"app.py":       "def handler(event, context):\n    return 'v1'\n",
		"lib/util.py":  "X = 1\n",
		"updraft.yaml": pyManifest,
	})
	zip1, err := PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	// Create.
	f, created, err := e.dep.Deploy(ctx, "default", Request{Zip: zip1})
	if err != nil {
		t.Fatal(err)
	}
	if !created || !f.CodeChanged || f.Revision != 1 {
		t.Fatalf("create: created=%v code_changed=%v revision=%d", created, f.CodeChanged, f.Revision)
	}
	if f.Name != "hello" || f.Runtime != fn.RuntimePython || f.Handler != "app.handler" ||
		f.MemoryMB != 256 || f.TimeoutSec != 10 || f.Env["GREETING"] != "hi" || f.Env["N"] != "1" ||
		f.CodeSize != int64(len(zip1)) || f.CodeSHA256 != sha(zip1) || f.CreatedAt.IsZero() {
		t.Fatalf("deployed %+v", f)
	}
	got, err := e.reg.GetFunction(ctx, "default", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 1 || got.CodeSHA256 != f.CodeSHA256 || got.CodeChanged {
		t.Fatalf("stored %+v", got)
	}
	if ok, err := e.reg.HasCode(ctx, f.CodeSHA256); err != nil || !ok {
		t.Fatalf("code not stored: %v %v", ok, err)
	}
	codeDir, err := e.dep.CodeDir(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if codeDir != filepath.Join(e.cacheDir, f.CodeSHA256) {
		t.Fatalf("code dir %s", codeDir)
	}
	wantFile(t, filepath.Join(codeDir, "app.py"), "def handler(event, context):\n    return 'v1'\n", 0o444)
	wantFile(t, filepath.Join(codeDir, "lib", "util.py"), "X = 1\n", 0o444)
	wantMode(t, filepath.Join(codeDir, "lib"), 0o555)
	wantMode(t, codeDir, 0o555)

	// Same code and config again: nothing changes.
	time.Sleep(2 * time.Millisecond)
	f2, created, err := e.dep.Deploy(ctx, "default", Request{Zip: zip1})
	if err != nil {
		t.Fatal(err)
	}
	if created || f2.CodeChanged || f2.Revision != 1 || !f2.UpdatedAt.Equal(f.UpdatedAt) {
		t.Fatalf("same deploy: created=%v %+v", created, f2)
	}

	// Changed code.
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte("def handler(e, c):\n    return 'v2'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	zip2, err := PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	f3, created, err := e.dep.Deploy(ctx, "default", Request{Zip: zip2})
	if err != nil {
		t.Fatal(err)
	}
	if created || !f3.CodeChanged || f3.Revision != 2 || f3.CodeSHA256 == f.CodeSHA256 ||
		!f3.CreatedAt.Equal(f.CreatedAt) || !f3.UpdatedAt.After(f.UpdatedAt) {
		t.Fatalf("code change: created=%v %+v", created, f3)
	}

	// Config only: the request wins over updraft.yaml.
	f4, created, err := e.dep.Deploy(ctx, "default", Request{Zip: zip2, MemoryMB: 512, Env: map[string]string{"N": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if created || f4.CodeChanged || f4.Revision != 3 || f4.MemoryMB != 512 || f4.TimeoutSec != 10 ||
		f4.Env["N"] != "2" || f4.Env["GREETING"] != "hi" {
		t.Fatalf("config change: created=%v %+v", created, f4)
	}
	if got, _ := e.reg.GetFunction(ctx, "default", "hello"); got.Revision != 3 || got.MemoryMB != 512 {
		t.Fatalf("stored after config change: %+v", got)
	}
}

func TestDeployRuntimes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cases := []struct {
		name string
		req  Request
		zip  []zipEntry
	}{
		{"go", Request{Runtime: "go"}, []zipEntry{{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o755}}},
		{"py-pkg", Request{Runtime: "python3", Handler: "pkg.mod.handler"}, []zipEntry{{name: "pkg/mod/__init__.py", body: "x"}}},
		{"py-slash", Request{Runtime: "python3", Handler: "src/app.handler"}, []zipEntry{{name: "src/app.py", body: "x"}}},
		{"node", Request{Runtime: "nodejs20.x", Handler: "dist/index.handler"}, []zipEntry{{name: "dist/index.mjs", body: "x"}}},
		{"manifest", Request{Name: "override"}, []zipEntry{
			{name: "updraft.yaml", body: "name: ignored\nruntime: node\nhandler: index.handler\n"},
			{name: "index.js", body: "x"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.req
			if req.Name == "" {
				req.Name = c.name
			}
			req.Zip = makeZip(t, c.zip...)
			f, created, err := e.dep.Deploy(ctx, "default", req)
			if err != nil {
				t.Fatal(err)
			}
			if !created || f.Name != req.Name || f.MemoryMB != fn.DefaultMemoryMB || f.TimeoutSec != fn.DefaultTimeoutSec {
				t.Fatalf("created=%v %+v", created, f)
			}
		})
	}
	if f, _ := e.reg.GetFunction(ctx, "default", "go"); f.Runtime != fn.RuntimeProvided {
		t.Fatalf("runtime go stored as %q, want provided", f.Runtime)
	}
	if dir, err := e.dep.CodeDir(ctx, mustGet(t, e, "default", "go")); err != nil {
		t.Fatal(err)
	} else {
		wantMode(t, filepath.Join(dir, "bootstrap"), 0o555)
	}
}

func TestDeployBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	py := Request{Name: "bad", Runtime: "python3", Handler: "app.handler"}
	app := zipEntry{name: "app.py", body: "def handler(e, c): pass\n"}
	with := func(r Request, zip []byte) Request { r.Zip = zip; return r }
	cases := []struct {
		name   string
		req    Request
		typ    string
		status int
		msg    string
	}{
		{"empty", with(py, nil), fn.TypeInvalidParameterValue, 400, "no code"},
		{"too large", with(py, make([]byte, fn.MaxZippedBytes+1)), fn.TypeRequestEntityTooLarge, 413, "at most"},
		{"not a zip", with(py, []byte("hello, not a zip")), fn.TypeInvalidZipFile, 400, "could not unzip the uploaded file"},
		{"zip slip", with(py, makeZip(t, app, zipEntry{name: "../x", body: "x"})), fn.TypeInvalidZipFile, 400, `"../x"`},
		{"zip slip deep", with(py, makeZip(t, app, zipEntry{name: "a/../../x", body: "x"})), fn.TypeInvalidZipFile, 400, `"a/../../x"`},
		{"zip slip backslash", with(py, makeZip(t, app, zipEntry{name: `..\x`, body: "x"})), fn.TypeInvalidZipFile, 400, `..`},
		{"absolute", with(py, makeZip(t, app, zipEntry{name: "/etc/cron.d/x", body: "x"})), fn.TypeInvalidZipFile, 400, `"/etc/cron.d/x"`},
		{"symlink", with(py, makeZip(t, app, zipEntry{name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777})), fn.TypeInvalidZipFile, 400, `"link" is a symbolic link`},
		{"duplicate", with(py, makeZip(t, app, app)), fn.TypeInvalidZipFile, 400, "twice"},
		{"file and dir", with(py, makeZip(t, app, zipEntry{name: "a", body: "x"}, zipEntry{name: "a/b", body: "y"})), fn.TypeInvalidZipFile, 400, "both a file and a directory"},
		{"no name", with(Request{Runtime: "python3", Handler: "app.handler"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "no function name: pass --name or set name: in updraft.yaml"},
		{"no runtime", with(Request{Name: "x"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "no runtime"},
		{"bad runtime", with(Request{Name: "x", Runtime: "cobol"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "unknown runtime"},
		{"no handler", with(Request{Name: "x", Runtime: "python3"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "no handler"},
		{"bad memory", with(Request{Name: "x", Runtime: "python3", Handler: "app.handler", MemoryMB: 64}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "memory"},
		{"bad name", with(Request{Name: "no spaces", Runtime: "python3", Handler: "app.handler"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "invalid function name"},
		{"manifest unknown key", with(py, makeZip(t, app, zipEntry{name: "updraft.yaml", body: "name: x\nmemory_mb: 256\n"})), fn.TypeInvalidParameterValue, 400, `updraft.yaml line 2: unknown key "memory_mb"`},
		{"manifest bad yaml", with(py, makeZip(t, app, zipEntry{name: "updraft.yaml", body: "name: [x\n"})), fn.TypeInvalidParameterValue, 400, "updraft.yaml is not valid YAML"},
		{"no bootstrap", with(Request{Name: "x", Runtime: "provided"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "runtime provided needs an executable file named bootstrap at the root of the code (chmod +x bootstrap)"},
		{"bootstrap not executable", with(Request{Name: "x", Runtime: "go"}, makeZip(t, zipEntry{name: "bootstrap", body: "x", mode: 0o644})), fn.TypeInvalidParameterValue, 400, "chmod +x bootstrap"},
		{"bootstrap not at root", with(Request{Name: "x", Runtime: "go"}, makeZip(t, zipEntry{name: "bin/bootstrap", body: "x", mode: 0o755})), fn.TypeInvalidParameterValue, 400, "chmod +x bootstrap"},
		{"python module missing", with(Request{Name: "x", Runtime: "python3", Handler: "main.handler"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "main.py"},
		{"node file missing", with(Request{Name: "x", Runtime: "node", Handler: "index.handler"}, makeZip(t, app)), fn.TypeInvalidParameterValue, 400, "index.js"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.dep.Deploy(ctx, "default", c.req)
			fe := wantErr(t, err, c.typ, c.status)
			if !strings.Contains(fe.Message, c.msg) {
				t.Fatalf("message %q does not contain %q", fe.Message, c.msg)
			}
		})
	}
	if fs, _ := e.reg.ListFunctions(ctx, "default"); len(fs) != 0 {
		t.Fatalf("bad deploys left functions behind: %d", len(fs))
	}
}

// TestDeployZipBombLyingHeader: an entry whose header claims 10 bytes but
// whose data inflates to 256 KB is caught while extracting, and never stored.
func TestDeployZipBombLyingHeader(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zeros := make([]byte, 256<<10)
	fw.Write(zeros)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	w.Write([]byte("def handler(e, c): pass\n"))
	h := &zip.FileHeader{Name: "bomb.bin", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(zeros[:10]), CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10}
	h.SetMode(0o644)
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()

	_, _, err = e.dep.Deploy(ctx, "default", Request{Name: "bomb", Runtime: "python3", Handler: "app.handler", Zip: buf.Bytes()})
	fe := wantErr(t, err, fn.TypeInvalidZipFile, http.StatusBadRequest)
	if !strings.Contains(fe.Message, `"bomb.bin"`) {
		t.Fatalf("message does not name the entry: %s", fe.Message)
	}
	if ok, _ := e.reg.HasCode(ctx, sha(buf.Bytes())); ok {
		t.Fatal("the zip bomb was stored")
	}
	if left, _ := filepath.Glob(filepath.Join(e.cacheDir, "*")); len(left) != 1 || filepath.Base(left[0]) != "go.mod" {
		t.Fatalf("the zip bomb left files in the cache: %v (only go.mod belongs there)", left)
	}
}

// TestDeployZipBombTooLarge: entries that honestly inflate to more than
// 250 MB in total are refused before anything is extracted.
func TestDeployZipBombTooLarge(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const part = 90 << 20 // three of them exceed 250 MB
	comp, crc := deflateZeros(t, part>>20)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	w.Write([]byte("x"))
	for _, name := range []string{"a.bin", "b.bin", "c.bin"} {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate,
			CRC32: crc, CompressedSize64: uint64(len(comp)), UncompressedSize64: part}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp)
	}
	zw.Close()
	_, _, err := e.dep.Deploy(ctx, "default", Request{Name: "big", Runtime: "python3", Handler: "app.handler", Zip: buf.Bytes()})
	fe := wantErr(t, err, fn.TypeInvalidParameterValue, http.StatusBadRequest)
	if fe.Message != "unzipped size must be smaller than 262144000 bytes" {
		t.Fatalf("message %q", fe.Message)
	}
}

func TestCodeDirReunpacks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	zip := makeZip(t, zipEntry{name: "bootstrap", body: "#!/bin/sh\necho hi\n", mode: 0o755}, zipEntry{name: "data/a.txt", body: "a"})
	f, _, err := e.dep.Deploy(ctx, "default", Request{Name: "re", Runtime: "provided", Zip: zip})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := e.dep.CodeDir(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	// The cache is wiped: concurrent callers share one unpack from the registry.
	if err := removeTree(e.cacheDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(e.cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			d, err := e.dep.CodeDir(ctx, f)
			if err == nil && d != dir {
				t.Errorf("CodeDir %s, want %s", d, dir)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantFile(t, filepath.Join(dir, "bootstrap"), "#!/bin/sh\necho hi\n", 0o555)
	wantFile(t, filepath.Join(dir, "data", "a.txt"), "a", 0o444)
	if left, _ := filepath.Glob(filepath.Join(e.cacheDir, tmpPrefix+"*")); len(left) != 0 {
		t.Fatalf("temporary unpack dirs left: %v", left)
	}

	// Another node (a Deployer with an empty cache) unpacks from the registry.
	other, otherCache := newDeployer(t, e.reg)
	d, err := other.CodeDir(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if d != filepath.Join(otherCache, f.CodeSHA256) {
		t.Fatalf("other node's code dir %s", d)
	}
	wantFile(t, filepath.Join(d, "bootstrap"), "#!/bin/sh\necho hi\n", 0o555)

	bad := *f
	bad.CodeSHA256 = "../../etc"
	if _, err := e.dep.CodeDir(ctx, &bad); err == nil {
		t.Fatal("CodeDir accepted a code sha256 that is a path")
	}
}

func TestDeploySurvivesReopen(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	zip := makeZip(t, zipEntry{name: "index.js", body: "exports.handler = async () => 1\n"})
	f, _, err := e.dep.Deploy(ctx, "acme", Request{Name: "keep", Runtime: "node", Handler: "index.handler", Zip: zip})
	if err != nil {
		t.Fatal(err)
	}
	e.close()
	e.open(t) // same store, new registry and an empty code cache

	got := mustGet(t, e, "acme", "keep")
	if got.Revision != 1 || got.CodeSHA256 != f.CodeSHA256 || !got.CreatedAt.Equal(f.CreatedAt) {
		t.Fatalf("after reopen %+v", got)
	}
	dir, err := e.dep.CodeDir(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(dir, "index.js"), "exports.handler = async () => 1\n", 0o444)
	// Redeploying the same code after the restart changes nothing.
	f2, created, err := e.dep.Deploy(ctx, "acme", Request{Name: "keep", Runtime: "node", Handler: "index.handler", Zip: zip})
	if err != nil || created || f2.CodeChanged || f2.Revision != 1 {
		t.Fatalf("redeploy after reopen: created=%v %+v %v", created, f2, err)
	}
}

func TestDeployTenantsIsolated(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	zip := makeZip(t, zipEntry{name: "app.py", body: "x"})
	for _, tenant := range []string{"alpha", "bravo"} {
		f, created, err := e.dep.Deploy(ctx, tenant, Request{Name: "same", Runtime: "python3", Handler: "app.handler", Zip: zip})
		if err != nil || !created || f.Revision != 1 || f.Tenant != tenant {
			t.Fatalf("%s: created=%v %+v %v", tenant, created, f, err)
		}
	}
	if _, _, err := e.dep.Deploy(ctx, "Not Valid", Request{Name: "x", Runtime: "python3", Handler: "app.handler", Zip: zip}); err == nil {
		t.Fatal("deploy accepted an invalid tenant")
	}
}

// deflateZeros returns a raw deflate stream of mb MiB of zeros, and their
// CRC-32, without compressing them all: a sync-flushed block of 1 MiB of
// zeros refers only to itself, so copies of it can be concatenated.
func deflateZeros(t *testing.T, mb int) ([]byte, uint32) {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	fw.Write(zeros)
	fw.Flush()
	block := bytes.Clone(buf.Bytes())
	buf.Reset()
	fw.Close()
	tail := buf.Bytes()
	out := bytes.Repeat(block, mb)
	var crc uint32
	for range mb {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	// Check the trick on two copies: they must inflate to exactly 2 MiB.
	two := append(bytes.Repeat(block, 2), tail...)
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(two)))
	if err != nil || n != 2<<20 {
		t.Fatalf("deflateZeros: two blocks inflate to %d bytes, %v", n, err)
	}
	return append(out, tail...), crc
}

func mustGet(t *testing.T, e *env, tenant, name string) *fn.Function {
	t.Helper()
	f, err := e.reg.GetFunction(context.Background(), tenant, name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func wantFile(t *testing.T, path, body string, mode fs.FileMode) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != body {
		t.Fatalf("%s holds %q, want %q", path, data, body)
	}
	wantMode(t, path, mode)
}

func wantMode(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Fatalf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}

// TestDeployConcurrent: concurrent deploys of one function each see the
// previous revision, so every revision is used exactly once.
func TestDeployConcurrent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const n = 6
	var wg sync.WaitGroup
	revs := make(chan int64, n)
	for i := range n {
		zip := makeZip(t, zipEntry{name: "app.py", body: strings.Repeat("#", i+1)})
		wg.Go(func() {
			f, _, err := e.dep.Deploy(ctx, "default", Request{Name: "race", Runtime: "python3", Handler: "app.handler", Zip: zip})
			if err != nil {
				t.Error(err)
				return
			}
			revs <- f.Revision
		})
	}
	wg.Wait()
	close(revs)
	seen := map[int64]bool{}
	for r := range revs {
		if seen[r] {
			t.Fatalf("revision %d used twice", r)
		}
		seen[r] = true
	}
	if got := mustGet(t, e, "default", "race"); got.Revision != n {
		t.Fatalf("final revision %d, want %d", got.Revision, n)
	}
}
