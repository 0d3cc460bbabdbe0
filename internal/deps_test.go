// Package internal_test guards the architecture: imports between Updraft's
// packages must follow the flow in docs/ARCHITECTURE.md (cli → apiclient;
// gateway → router → pool → runtime; everything → store/fn).
package internal_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/updraft-dev/updraft/"

// allowed lists, per package (path under internal/), the Updraft packages
// its non-test code may import. A package missing here fails the test: add
// it deliberately.
var allowed = map[string][]string{
	"fn":                        {},
	"config":                    {"fn"},
	"store":                     {"fn"},
	"runtime":                   {"fn"},
	"runtime/process/bootstrap": {},
	"sandbox":                   {"fn"},
	"runtime/process":           {"runtime", "runtime/process/bootstrap", "sandbox", "fn"},
	"runtime/runtimetest":       {"runtime", "fn"},
	"runtime/wasm":              {"runtime", "fn"},
	"runtime/wasm/wasmtest":     {},
	"metrics":                   {},
	"trace":                     {},
	"pool":                      {"runtime", "metrics", "fn"},
	"scheduler":                 {"pool", "runtime", "metrics", "fn"},
	"registry":                  {"store", "fn"},
	"deploy":                    {"registry", "store", "fn"},
	"logs":                      {"store", "fn"},
	"meter":                     {"store", "fn"},
	"billing":                   {"meter", "fn"},
	// Pure messaging semantics: SNS filter policies and AWS event shapes.
	"topic": {"queue", "store", "fn", "event"},
	"event": {"fn"},
	// Inbound email: routes, SMTP intake, SES events onto the queue spine.
	"mail": {"event", "store", "fn"},
	// The invoke path: router → scheduler (admission) → pool → runtime.
	"router": {"scheduler", "pool", "runtime", "registry", "deploy", "logs", "meter", "metrics", "trace", "store", "fn"},
	// Management sequences over the domain packages; never the gateway.
	"control": {"router", "scheduler", "pool", "registry", "deploy", "mapping", "queue", "fn"},
	// The queue spine and its conformance suite.
	"queue":           {"store", "fn"},
	"queue/queuetest": {"queue", "fn"},
	// Event sources invoke through fn.Invoker, never the router itself.
	"dispatch": {"queue", "fn"},
	"async":    {"dispatch", "queue", "event", "store", "fn"},
	"mapping":  {"dispatch", "queue", "event", "store", "fn"},
	"schedule": {"event", "store", "fn"}, // ticks leave through a Deliver func (async)
	// State services: object storage and tables, their events on the spine.
	"objects":     {"queue", "dispatch", "event", "store", "fn"},
	"tables/attr": {"fn"},
	"tables/expr": {"tables/attr", "fn"},
	"tables":      {"tables/attr", "tables/expr", "queue", "dispatch", "event", "store", "fn"},
	// HTTP API routes: matching, authorizers, usage plans; invoke via fn.Invoker.
	"httpapi": {"event", "store", "fn"},
	// The HTTP root and its protocol adapters: thin, over the domain.
	"gateway":          {"gateway/lambda", "gateway/mgmt", "gateway/furl", "gateway/wire", "control", "async", "router", "registry", "deploy", "logs", "meter", "billing", "metrics", "trace", "web", "mail", "httpapi", "fn"},
	"gateway/wire":     {"fn"},
	"gateway/lambda":   {"gateway/wire", "control", "mapping", "async", "router", "registry", "deploy", "trace", "fn"},
	"gateway/mgmt":     {"gateway/wire", "control", "registry", "deploy", "logs", "meter", "billing", "mail", "schedule", "httpapi", "stack", "fn"},
	"gateway/furl":     {"gateway/wire", "registry", "event", "trace", "fn"},
	"gateway/httpapi":  {"gateway/wire", "httpapi", "event", "registry", "fn"},
	"gateway/sns":      {"gateway/wire", "topic", "fn"},
	"gateway/sqs":      {"gateway/wire", "queue", "event", "fn"},
	"gateway/s3":       {"gateway/wire", "objects", "fn"},
	"gateway/dynamodb": {"gateway/wire", "tables", "tables/attr", "tables/expr", "fn"},

	"gateway/scheduler": {"gateway/wire", "schedule", "fn"}, // EventBridge Scheduler's API

	"gateway/codedeploy": {"gateway/wire", "stack", "fn"}, // the hook status operation SAM traffic hooks call

	"daemon": {"config", "store", "registry", "deploy", "logs", "meter", "billing", "metrics", "runtime",
		"runtime/process", "runtime/wasm", "sandbox", "scheduler", "pool", "router", "control", "async", "queue", "mapping", "gateway", "gateway/sns", "gateway/sqs", "gateway/dynamodb", "tables", "gateway/s3", "objects", "topic", "mail", "gateway/scheduler", "schedule", "gateway/httpapi", "httpapi", "trace", "stack", "gateway/codedeploy", "fn"},
	"replay": {"scheduler", "pool", "runtime", "fn"},
	// SAM stacks: templates to resources, made through control (functions)
	// and the platform's own AWS endpoint (the rest), as the deployer.
	"stack":     {"control", "deploy", "store", "fn"},
	"apiclient": {"fn"},
	// The dashboard: static files only; it speaks to the APIs from the browser.
	"web":          {},
	"cli":          {"apiclient", "daemon", "config", "deploy", "replay", "store", "fn"},
	"e2e":          {"apiclient", "daemon", "config", "cli", "fn"},
	"compat/fnsdk": {},
	"compat":       {"gateway", "daemon", "config", "apiclient", "fn", "deploy", "queue"},
	"bench":        {"bench", "apiclient", "daemon", "config", "deploy", "replay", "sandbox", "runtime/wasm/wasmtest", "fn"},
}

func TestDependencyFlow(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || path == "." {
			return nil
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		imports, hasGo := packageImports(t, path)
		if !hasGo {
			return nil
		}
		pkg := filepath.ToSlash(path)
		rules, ok := allowed[pkg]
		if !ok {
			if strings.HasPrefix(pkg, "bench/") {
				rules = allowed["bench"]
			} else {
				t.Errorf("package internal/%s has no entry in deps_test.go's allowed table: add one that follows the architecture", pkg)
				return nil
			}
		}
		ok2 := map[string]bool{}
		for _, r := range rules {
			ok2[r] = true
		}
		for _, imp := range imports {
			rel, found := strings.CutPrefix(imp, module+"internal/")
			if !found {
				continue
			}
			if !ok2[rel] && !strings.HasPrefix(rel, pkg+"/") {
				t.Errorf("internal/%s imports internal/%s, against the dependency flow", pkg, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// packageImports returns the imports of the non-test Go files in dir.
func packageImports(t *testing.T, dir string) ([]string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	hasGo := false
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		hasGo = true
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.Imports {
			seen[strings.Trim(s.Path.Value, `"`)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, hasGo
}
