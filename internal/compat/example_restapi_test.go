package compat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// hs256 makes a JWT signed with secret.
func hs256(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// examples/rest-api: routes from its updraft.yaml, a public GET, a POST
// behind a JWT authorizer and a body schema.
func TestExampleRESTAPI(t *testing.T) {
	p := start(t)
	ra := p.daemon.RoutesAddr()
	if ra == "" {
		t.Fatal("the routes listener is not running")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	files := map[string]string{}
	for _, name := range []string{"app.py", "updraft.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "rest-api", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	if _, _, err := apiclient.New(p.endpoint, p.key.APIKey).Deploy(ctx, apiclient.DeployRequest{Zip: zipOf(t, files)}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, method, "http://"+ra+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := call("GET", "/notes/1", "", ""); st != 200 || !strings.Contains(body, `"text": "hello"`) {
		t.Fatalf("GET /notes/1: %d %s", st, body)
	}
	good := hs256(t, "change-me-to-a-long-random-secret", map[string]any{
		"sub": "ada", "iss": "https://issuer.example", "aud": "notes", "exp": time.Now().Add(time.Hour).Unix(),
	})
	if st, _ := call("POST", "/notes", "", `{"text":"x"}`); st != 401 {
		t.Errorf("POST without a token: %d, want 401", st)
	}
	bad := hs256(t, "another-secret", map[string]any{"sub": "eve", "iss": "https://issuer.example", "aud": "notes", "exp": time.Now().Add(time.Hour).Unix()})
	if st, _ := call("POST", "/notes", bad, `{"text":"x"}`); st != 401 {
		t.Errorf("POST with a token signed by another key: %d, want 401", st)
	}
	if st, body := call("POST", "/notes", good, `{"nope":1}`); st != 400 {
		t.Errorf("POST with a body the schema refuses: %d %s, want 400", st, body)
	}
	st, body := call("POST", "/notes", good, `{"text":"from ada"}`)
	if st != 201 || !strings.Contains(body, `"author": "ada"`) {
		t.Fatalf("POST with a good token: %d %s", st, body)
	}
}
