package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// sentDeploy decodes the deploy request the CLI sent into its raw fields.
func sentDeploy(t *testing.T, srv *api) map[string]json.RawMessage {
	t.Helper()
	req := srv.last(t)
	if req.Method != "POST" || req.Path != "/v1/functions" {
		t.Fatalf("sent %s %s", req.Method, req.Path)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(req.Body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sentString(t *testing.T, m map[string]json.RawMessage, k string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(m[k], &s); err != nil {
		t.Fatalf("%s: %s: %v", k, m[k], err)
	}
	return s
}

// sentZip returns the file names in the zip the CLI sent.
func sentZip(t *testing.T, m map[string]json.RawMessage) []string {
	t.Helper()
	var data []byte
	if err := json.Unmarshal(m["zip_file"], &data); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

// deployAPI echoes the deploy request back as a function, the way the
// server would after merging.
func deployAPI(t *testing.T, created, changed bool) *api {
	srv := newAPI(t)
	srv.on("POST /v1/functions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name    string `json:"name"`
			Runtime string `json:"runtime"`
			Zip     []byte `json:"zip_file"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		f := helloFn()
		f.Name, f.CodeChanged, f.CodeSize = req.Name, changed, int64(len(req.Zip))
		if req.Runtime != "" {
			f.Runtime = req.Runtime
		}
		status := 200
		if created {
			status = 201
		}
		writeJSON(w, status, f)
	})
	return srv
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeployDir(t *testing.T) {
	srv := deployAPI(t, true, true)
	dir := filepath.Join(t.TempDir(), "greeter")
	writeFiles(t, dir, map[string]string{"app.py": "def handler(e, c): return e\n", "lib/util.py": "x = 1\n"})

	r := run(t, srv, opts{}, "deploy", dir)
	r.want(t, 0, "deployed greeter (python3.11) revision 2\ncode: ", "")
	if !strings.HasSuffix(r.stdout, " bytes sha256 "+strings.Repeat("ab", 32)+" (changed)\n") {
		t.Fatalf("stdout: %q", r.stdout)
	}
	m := sentDeploy(t, srv)
	if got := sentString(t, m, "name"); got != "greeter" {
		t.Fatalf("name %q, want the directory's name", got)
	}
	// Only the flags given are sent.
	for _, k := range []string{"runtime", "handler", "memory_mb", "timeout_s", "env"} {
		if _, ok := m[k]; ok {
			t.Errorf("sent %s without its flag", k)
		}
	}
	if names := strings.Join(sentZip(t, m), ","); !strings.Contains(names, "app.py") || !strings.Contains(names, "lib/util.py") {
		t.Fatalf("zip holds %s", names)
	}
}

func TestDeployFlags(t *testing.T) {
	srv := deployAPI(t, false, false)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.js": "exports.handler = async e => e\n"})
	r := run(t, srv, opts{}, "deploy", dir, "--name", "api", "--runtime", "node", "--handler", "index.handler",
		"--memory", "512", "--timeout", "30", "--env", "A=1", "--env", "B=x=y,z", "--env", "EMPTY=")
	r.want(t, 0, "deployed api (nodejs20.x) revision 2\n", "")
	if !strings.HasSuffix(r.stdout, "(unchanged)\n") {
		t.Fatalf("stdout: %q", r.stdout)
	}
	m := sentDeploy(t, srv)
	want := map[string]string{"name": `"api"`, "runtime": `"node"`, "handler": `"index.handler"`,
		"memory_mb": "512", "timeout_s": "30", "env": `{"A":"1","B":"x=y,z","EMPTY":""}`}
	for k, v := range want {
		if string(m[k]) != v {
			t.Errorf("%s: sent %s, want %s", k, m[k], v)
		}
	}
}

func TestDeployManifestName(t *testing.T) {
	srv := deployAPI(t, true, true)
	dir := filepath.Join(t.TempDir(), "src")
	writeFiles(t, dir, map[string]string{"app.py": "", "updraft.yaml": "name: from-yaml\nruntime: python3\nhandler: app.handler\n"})

	run(t, srv, opts{}, "deploy", dir).want(t, 0, "deployed from-yaml ", "")
	if got := sentString(t, sentDeploy(t, srv), "name"); got != "from-yaml" {
		t.Fatalf("name %q", got)
	}
	// --name wins over updraft.yaml.
	run(t, srv, opts{}, "deploy", dir, "--name", "flag").want(t, 0, "deployed flag ", "")

	// A broken updraft.yaml is reported before anything is sent.
	writeFiles(t, dir, map[string]string{"updraft.yaml": "name: [unclosed\n"})
	run(t, srv, opts{}, "deploy", dir).want(t, 1, "", "updraft.yaml")
}

func makeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, _ := zw.Create(name)
		w.Write([]byte(data))
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDeployZip(t *testing.T) {
	srv := deployAPI(t, true, true)
	dir := t.TempDir()
	plain := filepath.Join(dir, "orders.zip")
	makeZip(t, plain, map[string]string{"bootstrap": "#!/bin/sh\n"})
	run(t, srv, opts{}, "deploy", plain, "--runtime", "provided").want(t, 0, "deployed orders (provided.al2023) revision 2\n", "")
	m := sentDeploy(t, srv)
	if got := sentString(t, m, "name"); got != "orders" {
		t.Fatalf("name %q, want the zip's name", got)
	}
	if names := sentZip(t, m); len(names) != 1 || names[0] != "bootstrap" {
		t.Fatalf("the zip was not sent as is: %v", names)
	}

	withManifest := filepath.Join(dir, "build.zip")
	makeZip(t, withManifest, map[string]string{"bootstrap": "", "updraft.yaml": "name: billing\n"})
	run(t, srv, opts{}, "deploy", withManifest).want(t, 0, "deployed billing ", "")
}

func TestDeployJSON(t *testing.T) {
	srv := deployAPI(t, true, true)
	dir := filepath.Join(t.TempDir(), "hello")
	writeFiles(t, dir, map[string]string{"app.py": ""})
	r := run(t, srv, opts{}, "deploy", dir, "-o", "json")
	r.want(t, 0, `"code_changed": true`, "")
	var f fn.Function
	if err := json.Unmarshal([]byte(r.stdout), &f); err != nil || f.Name != "hello" || f.Revision != 2 {
		t.Fatalf("%v: %s", err, r.stdout)
	}
}

func TestDeployFailures(t *testing.T) {
	srv := newAPI(t)
	srv.on("POST /v1/functions", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, 400, fn.TypeInvalidParameterValue, `unknown runtime "cobol": use one of provided (alias go), python3, node`)
	})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"app.cob": "", "notes.txt": "hello"})

	r := run(t, srv, opts{}, "deploy", dir, "--runtime", "cobol")
	r.want(t, 1, "", `updraft: InvalidParameterValueException: unknown runtime "cobol": use one of`)
	if r.stdout != "" {
		t.Fatalf("stdout: %q", r.stdout)
	}
	run(t, srv, opts{}, "deploy", filepath.Join(dir, "missing")).want(t, 1, "", "missing does not exist")
	run(t, srv, opts{}, "deploy", filepath.Join(dir, "notes.txt")).want(t, 1, "", "notes.txt is not a zip file")
}
