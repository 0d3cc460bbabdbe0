package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const testKey = "test-key"

// api is a stand-in HTTP server: each test registers the replies it needs
// (patterns as in http.ServeMux) and checks the requests the CLI sent.
type api struct {
	*httptest.Server
	mux *http.ServeMux

	mu   sync.Mutex
	reqs []request
}

// request is what the CLI sent.
type request struct {
	Method, Path string
	Query        url.Values
	Body         []byte
	Auth         string
}

func newAPI(t *testing.T) *api {
	t.Helper()
	a := &api{mux: http.NewServeMux()}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		a.mu.Lock()
		a.reqs = append(a.reqs, request{r.Method, r.URL.Path, r.URL.Query(), body, r.Header.Get("Authorization")})
		a.mu.Unlock()
		w.Header().Set("X-Amzn-RequestId", "req-1")
		if r.URL.Path != "/healthz" && r.Header.Get("Authorization") != "Bearer "+testKey {
			apiError(w, 401, fn.TypeUnrecognizedClient, "The security token included in the request is invalid.")
			return
		}
		a.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

// on registers a handler for pattern, e.g. "GET /v1/functions/{name}".
func (a *api) on(pattern string, h http.HandlerFunc) { a.mux.HandleFunc(pattern, h) }

// reply registers a fixed JSON reply.
func (a *api) reply(pattern string, status int, v any) {
	a.on(pattern, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, v) })
}

// last is the last request the CLI sent.
func (a *api) last(t *testing.T) request {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.reqs) == 0 {
		t.Fatal("the CLI sent no request")
	}
	return a.reqs[len(a.reqs)-1]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	kind := "User"
	if status >= 500 {
		kind = "Service"
	}
	w.Header().Set("X-Amzn-ErrorType", typ)
	writeJSON(w, status, map[string]string{"Type": kind, "message": msg})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	apiError(w, 404, fn.TypeResourceNotFound, fn.FunctionNotFound("default", r.PathValue("name")).Message)
}

// result is one run of Main.
type result struct {
	code           int
	stdout, stderr string
}

// opts are a run's environment and stdin.
type opts struct {
	env    map[string]string // on top of the defaults below; "" removes one
	stdin  string
	ctx    context.Context
	tee    io.Writer // also gets stdout, as it is written
	teeErr io.Writer // also gets stderr, as it is written
}

// run runs Main in-process against srv (nil: no server) with
// UPDRAFT_API_KEY set and UPDRAFT_DATA_DIR pointing at an empty temp dir.
func run(t *testing.T, srv *api, o opts, args ...string) result {
	t.Helper()
	env := map[string]string{"UPDRAFT_API_KEY": testKey, "UPDRAFT_DATA_DIR": t.TempDir()}
	if srv != nil {
		env["UPDRAFT_ENDPOINT"] = srv.URL
	}
	for k, v := range o.env {
		env[k] = v
	}
	ctx := o.ctx
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
	}
	var stdout, stderr bytes.Buffer
	var out io.Writer = &stdout
	if o.tee != nil {
		out = io.MultiWriter(&stdout, o.tee)
	}
	var errOut io.Writer = &stderr
	if o.teeErr != nil {
		errOut = io.MultiWriter(&stderr, o.teeErr)
	}
	code := Main(ctx, args, strings.NewReader(o.stdin), out, errOut, func(k string) string { return env[k] })
	return result{code, stdout.String(), stderr.String()}
}

// want checks the exit code and that stdout and stderr contain the given
// substrings.
func (r result) want(t *testing.T, code int, inStdout, inStderr string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stdout, inStdout) || !strings.Contains(r.stderr, inStderr) {
		t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout containing %q and stderr containing %q",
			r.code, code, r.stdout, r.stderr, inStdout, inStderr)
	}
}

// golden compares got with testdata/NAME.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run go test -update to accept it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

var (
	t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 = time.Date(2025, 1, 3, 4, 5, 6, 0, time.UTC)
)

func helloFn() *fn.Function {
	return &fn.Function{Tenant: "default", Name: "hello", Runtime: "python3", Handler: "app.handler",
		MemoryMB: 256, TimeoutSec: 10, Env: map[string]string{"STAGE": "dev", "DEBUG": "1"},
		CodeSHA256: strings.Repeat("ab", 32), CodeSize: 1234, Revision: 2, CreatedAt: t0, UpdatedAt: t1}
}

func workerFn() *fn.Function {
	return &fn.Function{Tenant: "default", Name: "worker-with-long-name", Runtime: "provided",
		MemoryMB: 128, TimeoutSec: 900, CodeSHA256: strings.Repeat("cd", 32), CodeSize: 9, Revision: 1, CreatedAt: t0, UpdatedAt: t0}
}

// startServer runs a real daemon on 127.0.0.1 with a temporary data dir
// until the test ends, and returns it with its data dir and admin key.
func startServer(t *testing.T) (d *daemon.Daemon, dataDir, adminKey string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	})
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return d, cfg.DataDir, strings.TrimSpace(string(key))
}
