package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/deploy"
)

// TestRouteCommands drives route add/ls/rm, route key and route cors
// against a real server.
func TestRouteCommands(t *testing.T) {
	d, dataDir, key := startServer(t)
	env := opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_DATA_DIR": dataDir, "UPDRAFT_API_KEY": key}}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte("def handler(e, c):\n    return e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	zip, err := deploy.PackageDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, err := apiclient.New("http://"+d.Addr(), key).Deploy(ctx, apiclient.DeployRequest{Name: "items", Runtime: "python3.12", Handler: "app.handler", Zip: zip}); err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) string {
		t.Helper()
		r := run(t, nil, env, args...)
		if r.code != 0 {
			t.Fatalf("updraft %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	fails := func(want string, args ...string) {
		t.Helper()
		r := run(t, nil, env, args...)
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Fatalf("updraft %s: exit %d, stderr %q, want %q", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
	if out := must("route", "add", "get /items/{id}", "items:$LATEST", "--auth", "jwt", "--jwt-secret", "s", "--jwt-issuer", "me"); out != "route GET /items/{id} → items:$LATEST" {
		t.Errorf("add printed %q", out)
	}
	schema := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(schema, []byte(`{"type": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fails("schema", "route", "add", "POST /items", "items", "--schema", schema)
	fails("Function not found", "route", "add", "POST /items", "nope")
	fails("exactly one of --jwt-secret or --jwt-jwks", "route", "add", "POST /items", "items", "--auth", "jwt")
	fails("method FETCH", "route", "add", "FETCH /items", "items")
	must("route", "add", "$default", "items", "--cors-origin", "https://app.example")
	out := must("route", "ls")
	if !strings.Contains(out, "GET /items/{id}  items:$LATEST  jwt") || !strings.Contains(out, "$default") || !strings.Contains(out, "https://app.example") {
		t.Errorf("ls printed:\n%s", out)
	}
	var routes []apiclient.Route
	if err := json.Unmarshal([]byte(must("route", "ls", "-o", "json")), &routes); err != nil || len(routes) != 2 {
		t.Fatalf("ls -o json: %v %+v", err, routes)
	}
	var k apiclient.RouteKey
	if err := json.Unmarshal([]byte(must("route", "key", "create", "--quota-per-day", "5", "-o", "json")), &k); err != nil || k.Value == "" || k.QuotaPerDay != 5 {
		t.Fatalf("key create: %v %+v", err, k)
	}
	if out := must("route", "key", "ls"); !strings.Contains(out, k.ID) {
		t.Errorf("key ls printed %q", out)
	}
	must("route", "key", "rm", k.ID)
	fails("no API key", "route", "key", "rm", k.ID)

	must("route", "cors", "set", "--origin", "https://a.example", "--method", "GET", "--max-age", "60")
	var cors apiclient.RouteCORS
	if err := json.Unmarshal([]byte(must("route", "cors", "get", "-o", "json")), &cors); err != nil || cors.AllowOrigins[0] != "https://a.example" || cors.MaxAge != 60 {
		t.Fatalf("cors get: %v %+v", err, cors)
	}
	must("route", "cors", "rm")
	if out := must("route", "cors", "get"); out != "no API-wide CORS configuration" {
		t.Errorf("cors get after rm printed %q", out)
	}

	must("route", "rm", "GET /items/{id}")
	fails("no route", "route", "rm", "GET /items/{id}")
}
