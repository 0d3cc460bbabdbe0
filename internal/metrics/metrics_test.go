package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics, tenant string) string {
	t.Helper()
	h := m.Handler()
	if tenant != "" {
		h = m.TenantHandler(tenant)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestCapFoldsIntoOther(t *testing.T) {
	m := New(Config{MaxSeries: 2})
	for _, p := range []pair{{"t1", "a"}, {"t1", "b"}, {"t1", "c"}, {"t2", "d"}, {"t1", "c"}, {"t1", "a"}} {
		m.Series(p.tenant, p.function).Invocation(Call{Outcome: "success", Duration: time.Millisecond})
	}
	m.Series("t1", "e").Invocation(Call{Outcome: "crash", ErrorType: "Runtime.ExitError"})
	m.Series("t1", "e").Invocation(Call{Outcome: "error", ErrorType: "MyOwnError"})
	m.Series("t1", "e").Invocation(Call{Outcome: "timeout"})
	body := scrape(t, m, "")
	for _, want := range []string{
		`updraft_invocations_total{function="a",outcome="success",tenant="t1"} 2`,
		`updraft_invocations_total{function="b",outcome="success",tenant="t1"} 1`,
		`updraft_invocations_total{function="other",outcome="success",tenant="t1"} 2`,
		`updraft_invocations_total{function="other",outcome="success",tenant="t2"} 1`,
		`updraft_invocation_errors_total{function="other",tenant="t1",type="Runtime.ExitError"} 1`,
		`updraft_invocation_errors_total{function="other",tenant="t1",type="Function"} 1`,
		`updraft_invocation_errors_total{function="other",tenant="t1",type="Sandbox.Timedout"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(body, `function="c"`) || strings.Contains(body, `function="d"`) {
		t.Errorf("a function beyond the cap has its own series")
	}
	if got := m.Label("t1", "a"); got != "a" {
		t.Errorf("Label(t1, a) = %q", got)
	}
	if got := m.Label("t3", "z"); got != Other {
		t.Errorf("Label(t3, z) = %q, want other", got)
	}
	t2 := scrape(t, m, "t2")
	if strings.Contains(t2, `tenant="t1"`) || !strings.Contains(t2, `tenant="t2"`) || strings.Contains(t2, "go_goroutines") {
		t.Errorf("t2's view:\n%s", t2)
	}
}

func TestNilMetricsCountNothing(t *testing.T) {
	var m *Metrics
	s := m.Series("t", "f")
	s.Begin()
	s.End()
	s.Invocation(Call{Outcome: "success"})
	m.Throttle("t", "f", "x")
	if s != nil {
		t.Fatal("nil Metrics gave a series")
	}
}

// BenchmarkInvocationPath is the metrics cost of one call on the router's
// path: the pair's lookup, Begin, End and Invocation.
func BenchmarkInvocationPath(b *testing.B) {
	m := New(Config{})
	for i := range 500 {
		m.Series("tenant", "fn"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s := m.Series("tenant", "fnka")
			s.Begin()
			s.End()
			s.Invocation(Call{Outcome: "success", Duration: 3 * time.Millisecond})
		}
	})
}
