package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/registry"
)

const pyMaybeFail = `def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
`

// TestMetricsAuthAndLabels: /metrics needs a key that may read; the
// platform admin sees every series, another tenant's key only its own;
// the series are labelled by tenant and function, and functions beyond
// the cap are counted as function="other".
func TestMetricsAuthAndLabels(t *testing.T) {
	url, key, d := serverWith(t, func(c *config.Config) { c.MetricsMaxSeries = 2 })
	ctx := context.Background()
	reg := d.Registry()
	newKey := func(tenant, scope string) string {
		k, err := reg.CreateKey(ctx, registry.KeySpec{Tenant: tenant, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return k.APIKey
	}

	wantError(t, call(t, "GET", url+"/metrics", "", nil), 401, "UnrecognizedClientException", "missing API key")
	wantError(t, call(t, "GET", url+"/metrics", newKey(registry.DefaultTenant, fn.ScopeInvoke), nil), 403, "AccessDeniedException", "scope")

	deploy := func(k, name string) {
		t.Helper()
		r := call(t, "POST", url+"/v1/functions", k, deployBody(t,
			map[string]any{"name": name, "runtime": "python3", "handler": "app.handler"}, zipOf(t, map[string]string{"app.py": pyMaybeFail})))
		if r.status != 201 {
			t.Fatalf("deploy %s: %d %s", name, r.status, r.body)
		}
	}
	invoke := func(k, name, body string) {
		t.Helper()
		if r := call(t, "POST", url+"/2015-03-31/functions/"+name+"/invocations", k, []byte(body)); r.status != 200 {
			t.Fatalf("invoke %s: %d %s", name, r.status, r.body)
		}
	}
	for _, name := range []string{"alpha", "beta", "gamma", "delta"} {
		deploy(key, name)
	}
	invoke(key, "alpha", `{}`)
	invoke(key, "alpha", `{}`)
	invoke(key, "beta", `{"fail":true}`)
	invoke(key, "gamma", `{}`) // beyond the cap of 2: "other"
	invoke(key, "delta", `{}`) // "other" too

	if _, err := reg.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	acme := newKey("acme", fn.ScopeRead)
	acmeAdmin := newKey("acme", fn.ScopeAdmin)
	deploy(acmeAdmin, "alpha")
	invoke(acmeAdmin, "alpha", `{}`)

	all := call(t, "GET", url+"/metrics", key, nil)
	if all.status != 200 {
		t.Fatalf("/metrics as admin: %d %s", all.status, all.body)
	}
	wantLines(t, string(all.body),
		`updraft_invocations_total{function="alpha",outcome="success",tenant="default"} 2`,
		`updraft_invocation_starts_total{function="alpha",kind="cold",tenant="default"} 1`,
		`updraft_invocation_starts_total{function="alpha",kind="warm",tenant="default"} 1`,
		`updraft_invocation_duration_seconds_count{function="alpha",tenant="default"} 2`,
		`updraft_init_duration_seconds_count{function="alpha",tenant="default"} 1`,
		`updraft_invocations_total{function="beta",outcome="error",tenant="default"} 1`,
		`updraft_invocation_errors_total{function="beta",tenant="default",type="Function"} 1`,
		`updraft_invocations_total{function="other",outcome="success",tenant="default"} 2`,
		`updraft_invocations_total{function="other",outcome="success",tenant="acme"} 1`,
		`updraft_concurrent_executions{function="alpha",tenant="default"} 0`,
		`updraft_instances{function="alpha",state="idle",tenant="default"} 1`,
		`updraft_instances{function="other",state="idle",tenant="default"} 2`,
		`updraft_store_healthy 1`,
	)
	for _, absent := range []string{`function="gamma"`, `function="delta"`} {
		if strings.Contains(string(all.body), absent) {
			t.Errorf("%s beyond the cap has a series of its own", absent)
		}
	}
	if r := call(t, "GET", url+"/metrics", newKey(registry.DefaultTenant, fn.ScopeRead), nil); r.status != 200 || !strings.Contains(string(r.body), `tenant="acme"`) {
		t.Fatalf("/metrics as the platform's read key: %d", r.status)
	}

	own := call(t, "GET", url+"/metrics", acme, nil)
	if own.status != 200 {
		t.Fatalf("/metrics as acme: %d %s", own.status, own.body)
	}
	wantLines(t, string(own.body), `updraft_invocations_total{function="other",outcome="success",tenant="acme"} 1`)
	for _, absent := range []string{`tenant="default"`, "go_goroutines", "updraft_store_healthy"} {
		if strings.Contains(string(own.body), absent) {
			t.Errorf("acme's /metrics shows %s", absent)
		}
	}

	// An async event of a function that may not run waits in its queue:
	// the queue's depth and age are exported.
	if r := call(t, "PUT", url+"/v1/functions/alpha/concurrency", key, []byte(`{"reserved":0}`)); r.status != 200 {
		t.Fatalf("put concurrency: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", url+"/2015-03-31/functions/alpha/invocations", key, []byte(`{}`), "X-Amz-Invocation-Type", "Event"); r.status != 202 {
		t.Fatalf("async invoke: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		body := string(call(t, "GET", url+"/metrics", key, nil).body)
		if strings.Contains(body, `updraft_async_queue_oldest_age_seconds{function="alpha",tenant="default"}`) &&
			strings.Contains(body, `updraft_throttles_total{function="alpha",reason="ReservedFunctionConcurrentInvocationLimitExceeded",tenant="default"}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no async queue or throttle series for alpha:\n%s", grep(body, "updraft_async", "updraft_throttles"))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A disabled event-source mapping leaves its queue's message waiting:
	// its backlog and lag are exported.
	lagq := queue.ID{Tenant: registry.DefaultTenant, Name: "lagq"}
	if _, err := d.Queues().Create(ctx, lagq, queue.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Queues().Send(ctx, lagq, queue.Message{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	esm := `{"EventSourceArn":"arn:aws:sqs:local:` + fn.AccountID(registry.DefaultTenant) + `:lagq","FunctionName":"beta","Enabled":false}`
	if r := call(t, "POST", url+"/2015-03-31/event-source-mappings/", key, []byte(esm)); r.status != 202 {
		t.Fatalf("create mapping: %d %s", r.status, r.body)
	}
	body := string(call(t, "GET", url+"/metrics", key, nil).body)
	wantLines(t, body, `updraft_event_source_backlog_messages{function="beta",queue="lagq",tenant="default"} 1`)
	if !strings.Contains(body, `updraft_event_source_lag_seconds{function="beta",queue="lagq",tenant="default"} `) {
		t.Errorf("no lag series:\n%s", grep(body, "updraft_event_source"))
	}
	wantLines(t, body, `updraft_scrape_errors_total{source="mappings"} 0`, `updraft_scrape_errors_total{source="async"} 0`)
}

// TestMetricsPublic: --metrics-public serves /metrics without a key.
func TestMetricsPublic(t *testing.T) {
	url, _, _ := serverWith(t, func(c *config.Config) { c.MetricsPublic = true })
	r := call(t, "GET", url+"/metrics", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "updraft_store_healthy 1") {
		t.Fatalf("public /metrics: %d %s", r.status, r.body)
	}
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			name, _, _ := strings.Cut(l, "{")
			t.Errorf("missing %s in:\n%s", l, grep(body, name))
		}
	}
}

func grep(body string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
