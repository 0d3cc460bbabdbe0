package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The platform admin makes a tenant and a read key for it; the read key
// lists but cannot deploy; keys ls shows it without secrets; revoked, it
// fails; the tenant is refused deletion while it owns a function, and
// deleted with --force.
func TestTenantsAndScopedKeys(t *testing.T) {
	d, _, admin := startServer(t)
	env := func(key string) opts {
		return opts{env: map[string]string{"UPDRAFT_ENDPOINT": "http://" + d.Addr(), "UPDRAFT_API_KEY": key}}
	}
	as := env(admin)
	run(t, nil, as, "tenant", "create", "team-a").want(t, 0, "account id:", "")
	run(t, nil, as, "tenant", "create", "team-a").want(t, 1, "", "already exists")
	run(t, nil, as, "keys", "create", "--tenant", "nobody").want(t, 1, "", "tenant nobody does not exist")

	r := run(t, nil, as, "keys", "create", "--tenant", "team-a", "--scope", "read", "--description", "dash", "-o", "json")
	r.want(t, 0, `"scope": "read"`, "")
	var reader struct{ APIKey, AccessKeyID, Tenant, Scope string }
	if err := json.Unmarshal([]byte(r.stdout), &reader); err != nil || reader.Tenant != "team-a" {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	r = run(t, nil, as, "keys", "create", "--tenant", "team-a", "--scope", "deploy", "-o", "json")
	var deployer struct{ APIKey string }
	if err := json.Unmarshal([]byte(r.stdout), &deployer); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte("def handler(e, c):\n    return e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, nil, env(reader.APIKey), "ls").want(t, 0, "no functions yet", "")
	run(t, nil, env(reader.APIKey), "deploy", dir, "--name", "f", "--runtime", "python3.11", "--handler", "app.handler").
		want(t, 1, "", "scope \"read\"")
	run(t, nil, env(deployer.APIKey), "deploy", dir, "--name", "f", "--runtime", "python3.11", "--handler", "app.handler").want(t, 0, "", "")
	run(t, nil, env(deployer.APIKey), "keys", "create").want(t, 1, "", "AccessDenied")
	run(t, nil, env(deployer.APIKey), "tenant", "ls").want(t, 1, "", "")

	r = run(t, nil, as, "keys", "ls", "--tenant", "team-a")
	r.want(t, 0, reader.AccessKeyID, "")
	if !strings.Contains(r.stdout, "dash") || strings.Contains(r.stdout, reader.APIKey) {
		t.Fatalf("keys ls:\n%s", r.stdout)
	}
	run(t, nil, as, "keys", "revoke", reader.AccessKeyID).want(t, 0, "revoked", "")
	run(t, nil, env(reader.APIKey), "ls").want(t, 1, "", "not known here")

	run(t, nil, as, "tenant", "rm", "team-a").want(t, 1, "", "still owns 1 functions")
	run(t, nil, as, "tenant", "set", "team-a", "--max-concurrency", "7").want(t, 0, "concurrency 7", "")
	run(t, nil, as, "tenant", "rm", "team-a", "--force").want(t, 0, "deleted tenant team-a", "")
	run(t, nil, env(deployer.APIKey), "ls").want(t, 1, "", "not known here")
	run(t, nil, as, "tenant", "ls").want(t, 0, "default", "")
}
