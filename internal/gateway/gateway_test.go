package gateway_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
)

// server starts the real platform on 127.0.0.1 and returns its URL and key.
func server(t *testing.T) (string, string, *daemon.Daemon) {
	t.Helper()
	return serverWith(t, func(*config.Config) {})
}

// serverWith is server with the configuration changed by tune.
func serverWith(t *testing.T, tune func(*config.Config)) (string, string, *daemon.Daemon) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	tune(&cfg)
	d, err := daemon.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	key, err := os.ReadFile(d.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + d.Addr(), strings.TrimSpace(string(key)), d
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, url, key string, body []byte, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Errorf("%s %s: no X-Amzn-RequestId", method, url)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// wantError checks Lambda's error reply: status, X-Amzn-ErrorType and a
// JSON body with Type and a message containing hint.
func wantError(t *testing.T, r reply, status int, typ, hint string) {
	t.Helper()
	if r.status != status || r.header.Get("X-Amzn-ErrorType") != typ {
		t.Fatalf("got %d %q (%s), want %d %s", r.status, r.header.Get("X-Amzn-ErrorType"), r.body, status, typ)
	}
	var e struct{ Type, Message string }
	if err := json.Unmarshal(r.body, &e); err != nil || e.Type == "" || !strings.Contains(e.Message, hint) {
		t.Fatalf("error body %s: want {Type, message containing %q}", r.body, hint)
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deployBody(t *testing.T, fields map[string]any, zipData []byte) []byte {
	fields["zip_file"] = base64.StdEncoding.EncodeToString(zipData)
	b, _ := json.Marshal(fields)
	return b
}

const pyHello = "def handler(event, context):\n    print('hi from', context.function_name)\n    return {'ok': True}\n"

func TestBadInputGetsClearErrors(t *testing.T) {
	url, key, _ := server(t)
	inv := url + "/2015-03-31/functions/py/invocations"

	wantError(t, call(t, "GET", url+"/v1/functions", "", nil), 401, "UnrecognizedClientException", "API key")
	wantError(t, call(t, "POST", inv, "", []byte(`{}`)), 401, "UnrecognizedClientException", "API key")
	wantError(t, call(t, "POST", inv, key, []byte(`{}`)), 404, "ResourceNotFoundException", "Function not found")
	wantError(t, call(t, "DELETE", url+"/v1/nothing", key, nil), 404, "UnknownOperationException", "no operation")
	wantError(t, call(t, "POST", url+"/v1/usage", key, nil), 405, "MethodNotAllowedException", "GET")
	wantError(t, call(t, "GET", inv, key, nil), 404, "UnknownOperationException", "no operation")

	deploy := func(fields map[string]any, z []byte) reply {
		return call(t, "POST", url+"/v1/functions", key, deployBody(t, fields, z))
	}
	py := map[string]string{"app.py": pyHello}
	wantError(t, deploy(map[string]any{"name": "py", "runtime": "python3"}, []byte("not a zip")), 400, "InvalidZipFileException", "unzip")
	wantError(t, deploy(map[string]any{"name": "py", "runtime": "python3", "handler": "app.handler"},
		zipOf(t, map[string]string{"../evil.py": "x", "app.py": pyHello})), 400, "InvalidZipFileException", "evil")
	wantError(t, deploy(map[string]any{"name": "py", "runtime": "cobol", "handler": "app.handler"}, zipOf(t, py)), 400, "InvalidParameterValueException", "runtime")
	wantError(t, deploy(map[string]any{"name": "no such name!", "runtime": "python3", "handler": "app.handler"}, zipOf(t, py)), 400, "InvalidParameterValueException", "name")
	wantError(t, deploy(map[string]any{"name": "py", "runtime": "python3", "handler": "nope.handler"}, zipOf(t, py)), 400, "InvalidParameterValueException", "nope")
	wantError(t, deploy(map[string]any{"name": "gofn", "runtime": "provided"}, zipOf(t, py)), 400, "InvalidParameterValueException", "bootstrap")
	wantError(t, call(t, "POST", url+"/v1/functions", key, []byte(`{"name":`)), 400, "InvalidRequestContentException", "JSON")

	r := deploy(map[string]any{"name": "py", "runtime": "python3", "handler": "app.handler"}, zipOf(t, py))
	if r.status != 201 || !bytes.Contains(r.body, []byte(`"code_changed":true`)) {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	wantError(t, call(t, "POST", inv, key, []byte(`not json`)), 400, "InvalidRequestContentException", "JSON")
	big := append(append([]byte(`"`), bytes.Repeat([]byte("x"), 6<<20)...), '"')
	wantError(t, call(t, "POST", inv, key, big), 413, "RequestTooLargeException", "6291456")

	// The server is still fine after all that.
	ok := call(t, "POST", inv, key, []byte(`{}`), "X-Amz-Log-Type", "Tail")
	if ok.status != 200 || string(ok.body) != `{"ok": true}` || ok.header.Get("X-Amz-Executed-Version") != "$LATEST" {
		t.Fatalf("invoke: %d %s %v", ok.status, ok.body, ok.header)
	}
	tail, err := base64.StdEncoding.DecodeString(ok.header.Get("X-Amz-Log-Result"))
	if err != nil || !bytes.Contains(tail, []byte("hi from py")) || !bytes.Contains(tail, []byte("REPORT RequestId:")) {
		t.Fatalf("log tail %q (%v)", tail, err)
	}
	if dry := call(t, "POST", inv, key, []byte(`{}`), "X-Amz-Invocation-Type", "DryRun"); dry.status != 204 {
		t.Fatalf("DryRun: %d %s", dry.status, dry.body)
	}
	if h := call(t, "GET", url+"/healthz", "", nil); h.status != 200 {
		t.Fatalf("healthz %d", h.status)
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	url, key, d := server(t)
	r := call(t, "POST", url+"/v1/functions", key, deployBody(t,
		map[string]any{"name": "mine", "runtime": "python3", "handler": "app.handler"}, zipOf(t, map[string]string{"app.py": pyHello})))
	if r.status != 201 {
		t.Fatalf("deploy %d %s", r.status, r.body)
	}
	// A key of another tenant sees nothing of default's.
	other, err := d.Registry().CreateAPIKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, call(t, "POST", url+"/2015-03-31/functions/mine/invocations", other, []byte(`{}`)), 404, "ResourceNotFoundException", "not found")
	l := call(t, "GET", url+"/v1/functions", other, nil)
	if l.status != 200 || bytes.Contains(l.body, []byte("mine")) {
		t.Fatalf("other tenant's list: %d %s", l.status, l.body)
	}
}
