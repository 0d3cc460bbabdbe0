package gateway_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/updraft-dev/updraft/internal/config"
)

// otlpReceiver is an in-process OTLP/HTTP collector keeping what it gets.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func attr(s *tracepb.Span, key string) *commonpb.AnyValue {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// TestOTLPSpans: with an OTLP endpoint, a call with a traceparent makes the
// spans gateway (a child of the caller's span) → admission and
// instance → function, with the function, tenant, request id and cold
// start, exported to the collector.
func TestOTLPSpans(t *testing.T) {
	rcv := &otlpReceiver{}
	col := httptest.NewServer(rcv)
	defer col.Close()
	url, key, d := serverWith(t, func(c *config.Config) { c.OTLPEndpoint = col.URL })
	if r := call(t, "POST", url+"/v1/functions", key, deployBody(t,
		map[string]any{"name": "traced", "runtime": "python3", "handler": "app.handler"}, zipOf(t, map[string]string{"app.py": pyMaybeFail}))); r.status != 201 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := call(t, "POST", url+"/2015-03-31/functions/traced/invocations", key, []byte(`{}`),
		"traceparent", "00-"+traceID+"-"+parentID+"-01")
	if r.status != 200 {
		t.Fatalf("invoke: %d %s", r.status, r.body)
	}
	requestID := r.header.Get("X-Amzn-Requestid")
	if err := d.Close(context.Background()); err != nil { // flushes the spans
		t.Fatal(err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, s := range rcv.spans {
		if byName[s.Name] != nil {
			t.Fatalf("two %s spans", s.Name)
		}
		byName[s.Name] = s
	}
	gw, adm, inst, fnSpan := byName["gateway"], byName["admission"], byName["instance"], byName["function"]
	if gw == nil || adm == nil || inst == nil || fnSpan == nil {
		t.Fatalf("spans %v, want gateway, admission, instance, function", byName)
	}
	for _, s := range []*tracepb.Span{gw, adm, inst, fnSpan} {
		if hex.EncodeToString(s.TraceId) != traceID {
			t.Errorf("%s: trace id %x, want the caller's %s", s.Name, s.TraceId, traceID)
		}
	}
	links := []struct {
		child, parent *tracepb.Span
		parentID      []byte
	}{{gw, nil, mustHex(t, parentID)}, {adm, gw, nil}, {inst, gw, nil}, {fnSpan, inst, nil}}
	for _, l := range links {
		want := l.parentID
		if l.parent != nil {
			want = l.parent.SpanId
		}
		if hex.EncodeToString(l.child.ParentSpanId) != hex.EncodeToString(want) {
			t.Errorf("%s: parent %x, want %x", l.child.Name, l.child.ParentSpanId, want)
		}
	}
	if gw.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("gateway kind %v", gw.Kind)
	}
	if v := attr(gw, "faas.name"); v.GetStringValue() != "traced" {
		t.Errorf("gateway faas.name %v", v)
	}
	if v := attr(gw, "updraft.tenant"); v.GetStringValue() != "default" {
		t.Errorf("gateway updraft.tenant %v", v)
	}
	if v := attr(gw, "faas.invocation_id"); requestID == "" || v.GetStringValue() != requestID {
		t.Errorf("gateway faas.invocation_id %v, request id %q", v, requestID)
	}
	if v := attr(gw, "faas.coldstart"); v == nil || !v.GetBoolValue() {
		t.Errorf("gateway faas.coldstart %v", v)
	}
	if v := attr(adm, "faas.coldstart"); v == nil || !v.GetBoolValue() {
		t.Errorf("admission faas.coldstart %v", v)
	}
	if v := attr(fnSpan, "updraft.outcome"); v.GetStringValue() != "success" {
		t.Errorf("function outcome %v", v)
	}
	if fnSpan.StartTimeUnixNano < inst.StartTimeUnixNano || fnSpan.EndTimeUnixNano > inst.EndTimeUnixNano+1e6 {
		t.Errorf("function span [%d,%d] outside instance span [%d,%d]", fnSpan.StartTimeUnixNano, fnSpan.EndTimeUnixNano, inst.StartTimeUnixNano, inst.EndTimeUnixNano)
	}
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
