package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestAssetsServedWithTheirTypes(t *testing.T) {
	h := Handler()
	want := map[string]string{
		"/ui/":                  "text/html; charset=utf-8",
		"/ui/assets/app.js":     "text/javascript; charset=utf-8",
		"/ui/assets/charts.js":  "text/javascript; charset=utf-8",
		"/ui/assets/app.css":    "text/css; charset=utf-8",
		"/ui/assets/icon.svg":   "image/svg+xml",
		"/ui/assets/logtail.js": "text/javascript; charset=utf-8",
	}
	for path, ct := range want {
		res, body := get(t, h, "GET", path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ct {
			t.Errorf("%s: %d %q, want 200 %q", path, res.StatusCode, res.Header.Get("Content-Type"), ct)
		}
		if len(body) == 0 {
			t.Errorf("%s: empty body", path)
		}
		for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "ETag"} {
			if res.Header.Get(k) == "" {
				t.Errorf("%s: no %s header", path, k)
			}
		}
	}
	// Every file the page names is served: a renamed module fails here.
	_, index := get(t, h, "GET", "/ui/")
	for _, ref := range []string{`src="/ui/assets/app.js"`, `href="/ui/assets/app.css"`, `href="/ui/assets/icon.svg"`} {
		if !strings.Contains(index, ref) {
			t.Errorf("index.html does not reference %s", ref)
		}
	}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(p)
		for _, line := range strings.Split(string(b), "\n") {
			_, imp, ok := strings.Cut(line, " from './")
			if !ok || !strings.HasPrefix(line, "import") {
				continue
			}
			name, _, _ := strings.Cut(imp, "'")
			if res, _ := get(t, h, "GET", "/ui/assets/"+name); res.StatusCode != 200 {
				t.Errorf("%s imports %s, which is not served (%d)", p, name, res.StatusCode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnknownPathsServeTheAppAndNothingElse(t *testing.T) {
	h := Handler()
	_, index := get(t, h, "GET", "/ui/")
	for _, path := range []string{"/ui/functions", "/ui/functions/hello", "/ui/no/such/page", "/ui/web.go", "/ui/..%2fweb.go", "/ui/assets"} {
		res, body := get(t, h, "GET", path)
		if res.StatusCode != 200 || body != index || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: %d %q, want the app's page", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	// Under assets/ only the app's files exist: no listing, no sources, no
	// way out of the directory.
	for _, path := range []string{"/ui/assets/", "/ui/assets/nope.js", "/ui/assets/../web.go", "/ui/assets/%2e%2e/web.go", "/ui/assets/index.html/", "/ui/assets/index.html"} {
		res, body := get(t, h, "GET", path)
		if res.StatusCode != 404 || strings.Contains(body, "package web") || strings.Contains(body, "<a href") {
			t.Errorf("%s: %d %q, want a bare 404", path, res.StatusCode, body)
		}
	}
	res, _ := get(t, h, "POST", "/ui/")
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q, want 405 GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
	res, body := get(t, h, "HEAD", "/ui/assets/app.css")
	if res.StatusCode != 200 || body != "" || res.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes, length %q", res.StatusCode, len(body), res.Header.Get("Content-Length"))
	}
	res, _ = get(t, h, "GET", "/ui/assets/app.js")
	if res, _ := get(t, h, "GET", "/ui/assets/app.js", "If-None-Match", res.Header.Get("ETag")); res.StatusCode != 304 {
		t.Errorf("a repeated load with the ETag: %d, want 304", res.StatusCode)
	}
}
