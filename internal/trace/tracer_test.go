package trace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestParseXRayRoundTrip(t *testing.T) {
	h := FromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	sc, ok := parseXRay(h)
	if !ok || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.SpanID().String() != "00f067aa0ba902b7" || !sc.IsSampled() || !sc.IsRemote() {
		t.Fatalf("parseXRay(%q) = %v %v", h, sc, ok)
	}
	for _, bad := range []string{"", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", "Root=1-zz59e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"} {
		if _, ok := parseXRay(bad); ok {
			t.Errorf("parseXRay(%q) accepted", bad)
		}
	}
}

func TestNilTracer(t *testing.T) {
	var tr *Tracer
	ctx := context.Background()
	got, s := tr.StartServer(ctx, "x", "")
	if got != ctx || s != nil || s.XRay() != "" {
		t.Fatal("a nil tracer made a span")
	}
	s.SetCall("t", "f", "r")
	s.SetCold(true)
	s.End(nil)
	tr.Record(ctx, "f", time.Now(), time.Now(), "success")
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, Config{Endpoint: "localhost:4318"}); err == nil {
		t.Fatal("New took an endpoint without a scheme")
	}
}

// BenchmarkCallSpans is the tracing cost of one call on the invoke path:
// off (a nil tracer) and on (four spans, exported to a collector that
// discards them).
func BenchmarkCallSpans(b *testing.B) {
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer col.Close()
	on, err := New(context.Background(), Config{Endpoint: col.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = on.Close(context.Background()) }()
	for _, bc := range []struct {
		name string
		tr   *Tracer
	}{{"off", nil}, {"on", on}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, gw := bc.tr.StartServer(context.Background(), "gateway", "")
				gw.SetCall("default", "fn", "req")
				_, adm := bc.tr.Start(ctx, "admission")
				adm.SetCold(false)
				adm.End(nil)
				ictx, inst := bc.tr.Start(ctx, "instance")
				if bc.tr != nil {
					now := time.Now()
					bc.tr.Record(ictx, "function", now, now, "success")
				}
				inst.End(nil)
				gw.End(nil)
			}
		})
	}
}
