package fn

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestResolveRuntime(t *testing.T) {
	for _, c := range []struct{ given, engine, name string }{
		{"python3.12", RuntimePython, "python3.12"},
		{"python3.11", RuntimePython, "python3.11"},
		{"python3.10", RuntimePython, "python3.10"},
		{"python3", RuntimePython, "python3.11"},
		{"python", RuntimePython, "python3.11"},
		{"nodejs20.x", RuntimeNode, "nodejs20.x"},
		{"nodejs18.x", RuntimeNode, "nodejs18.x"},
		{"node", RuntimeNode, "nodejs20.x"},
		{"nodejs", RuntimeNode, "nodejs20.x"},
		{"provided.al2023", RuntimeProvided, "provided.al2023"},
		{"provided.al2", RuntimeProvided, "provided.al2"},
		{"provided", RuntimeProvided, "provided.al2023"},
		{"go", RuntimeProvided, "provided.al2023"},
		{"go1.x", RuntimeProvided, "provided.al2023"},
	} {
		engine, name, err := ResolveRuntime(c.given)
		if err != nil || engine != c.engine || name != c.name {
			t.Errorf("ResolveRuntime(%q) = %q, %q, %v; want %q, %q", c.given, engine, name, err, c.engine, c.name)
		}
	}
	for given, want := range map[string]string{
		"python3.13": "host's Python 3.11", "python3.9": "use python3.12",
		"nodejs22.x": "host's Node.js 20", "provided.al1": "use provided.al2023",
		"java21": "unknown runtime", "": "unknown runtime",
	} {
		_, _, err := ResolveRuntime(given)
		if err == nil || !strings.Contains(err.Error(), want) || err.(*Error).Status != 400 {
			t.Errorf("ResolveRuntime(%q) error %v, want one containing %q", given, err, want)
		}
	}
}

// TestStoredRuntimesLoad: functions stored before Lambda names were kept
// (engine only, a short name, or a name no longer accepted) still decode
// and report a Lambda name.
func TestStoredRuntimesLoad(t *testing.T) {
	for stored, want := range map[string]string{
		`{"name":"a","runtime":"python3"}`:                                 "python3.11",
		`{"name":"a","runtime":"python3","runtime_name":"python3.12"}`:     "python3.12",
		`{"name":"a","runtime":"python3","runtime_name":"python"}`:         "python3.11",
		`{"name":"a","runtime":"python3","runtime_name":"python3.13"}`:     "python3.11",
		`{"name":"a","runtime":"node","runtime_name":"nodejs"}`:            "nodejs20.x",
		`{"name":"a","runtime":"node"}`:                                    "nodejs20.x",
		`{"name":"a","runtime":"provided","runtime_name":"go1.x"}`:         "provided.al2023",
		`{"name":"a","runtime":"provided","runtime_name":"provided.al2"}`:  "provided.al2",
		`{"name":"a","runtime":"provided","runtime_name":"provided.al1x"}`: "provided.al2023",
	} {
		var f Function
		if err := json.Unmarshal([]byte(stored), &f); err != nil {
			t.Fatal(err)
		}
		if got := f.LambdaRuntime(); got != want {
			t.Errorf("%s reports %q, want %q", stored, got, want)
		}
	}
}

func TestValidateNormalisesRuntime(t *testing.T) {
	f := &Function{Name: "a", Runtime: "nodejs18.x", Handler: "index.handler"}
	f.ApplyDefaults()
	if err := f.Validate(); err != nil || f.Runtime != RuntimeNode {
		t.Fatalf("Validate: %v, runtime %q", err, f.Runtime)
	}
	f.Runtime = "python3.13"
	if err := f.Validate(); err == nil {
		t.Fatal("python3.13 accepted")
	}
}

func TestAccountID(t *testing.T) {
	seen := map[string]string{}
	for _, tenant := range []string{"default", "team-a", "team-b", "t1", "a"} {
		id := AccountID(tenant)
		if !IsAccountID(id) || AccountID(tenant) != id {
			t.Errorf("AccountID(%q) = %q: not 12 stable digits", tenant, id)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("tenants %q and %q share account id %s", tenant, other, id)
		}
		seen[id] = tenant
	}
	// The ids are shown to users and stored in their configs: they must
	// never change.
	if got := AccountID("default"); got != "759918739324" {
		t.Errorf("AccountID(default) = %s: the derivation changed", got)
	}
	if got := ARN("team-a", "f", "live"); got != "arn:aws:lambda:local:559835767677:function:f:live" {
		t.Errorf("ARN = %s", got)
	}
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "12345678901a": false, "default": false} {
		if IsAccountID(s) != want {
			t.Errorf("IsAccountID(%q) = %v", s, !want)
		}
	}
}
