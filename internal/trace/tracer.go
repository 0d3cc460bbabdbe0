package trace

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Config is where spans go.
type Config struct {
	// Endpoint is the OTLP/HTTP collector's URL (http://host:4318; the
	// path /v1/traces is added when the URL has none). "": no tracing.
	Endpoint string
	Service  string // service.name; "updraft" when ""
	// Batch is the most time a finished span waits to be exported (0:
	// the SDK's 5 s).
	Batch time.Duration
}

// Tracer makes and exports spans. A nil *Tracer makes none and costs a
// nil check: every method is safe on nil.
type Tracer struct {
	tp *sdktrace.TracerProvider
	t  oteltrace.Tracer
}

// New returns a tracer exporting to cfg.Endpoint, or nil when it is "".
func New(ctx context.Context, cfg Config) (*Tracer, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("trace: OTLP endpoint %q is not an http(s) URL (e.g. http://127.0.0.1:4318)", cfg.Endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("trace: OTLP exporter: %w", err)
	}
	if cfg.Service == "" {
		cfg.Service = "updraft"
	}
	var opts []sdktrace.BatchSpanProcessorOption
	if cfg.Batch > 0 {
		opts = append(opts, sdktrace.WithBatchTimeout(cfg.Batch))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, opts...),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(cfg.Service))),
	)
	return &Tracer{tp: tp, t: tp.Tracer("github.com/updraft-dev/updraft")}, nil
}

// Close exports the spans still buffered and stops the exporter.
func (t *Tracer) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if err := t.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("trace: shutdown: %w", err)
	}
	return nil
}

// Span is one span; a nil *Span records nothing.
type Span struct{ s oteltrace.Span }

// Start begins a span as a child of ctx's span.
func (t *Tracer) Start(ctx context.Context, name string) (context.Context, *Span) {
	if t == nil {
		return ctx, nil
	}
	ctx, s := t.t.Start(ctx, name)
	return ctx, &Span{s}
}

// StartServer begins a call's root span in Updraft: a child of the
// caller's span named by header (an X-Ray trace header, as Header
// returns it), or a new trace.
func (t *Tracer) StartServer(ctx context.Context, name, header string) (context.Context, *Span) {
	if t == nil {
		return ctx, nil
	}
	if sc, ok := parseXRay(header); ok {
		ctx = oteltrace.ContextWithRemoteSpanContext(ctx, sc)
	}
	ctx, s := t.t.Start(ctx, name, oteltrace.WithSpanKind(oteltrace.SpanKindServer))
	return ctx, &Span{s}
}

// Record adds a finished span from start to end, a child of ctx's span:
// for what was timed elsewhere (the function's run in its instance).
func (t *Tracer) Record(ctx context.Context, name string, start, end time.Time, outcome string) {
	if t == nil {
		return
	}
	_, s := t.t.Start(ctx, name, oteltrace.WithTimestamp(start))
	setOutcome(s, outcome)
	s.End(oteltrace.WithTimestamp(end))
}

// Attribute keys, OpenTelemetry's FaaS conventions where they have one.
const (
	KeyFunction  = "faas.name"
	KeyRequestID = "faas.invocation_id"
	KeyColdStart = "faas.coldstart"
	KeyTenant    = "updraft.tenant"
	KeyOutcome   = "updraft.outcome"
)

// SetCall names the call's tenant, function and request id.
func (s *Span) SetCall(tenant, function, requestID string) {
	if s != nil {
		s.s.SetAttributes(attribute.String(KeyTenant, tenant), attribute.String(KeyFunction, function), attribute.String(KeyRequestID, requestID))
	}
}

// SetCold says whether the call started a new instance.
func (s *Span) SetCold(cold bool) {
	if s != nil {
		s.s.SetAttributes(attribute.Bool(KeyColdStart, cold))
	}
}

// End ends the span, marking it failed with err.
func (s *Span) End(err error) {
	if s == nil {
		return
	}
	if err != nil {
		s.s.SetStatus(codes.Error, err.Error())
	}
	s.s.End()
}

// XRay is the span's context as an X-Ray trace header, for a function's
// _X_AMZN_TRACE_ID; "" for a nil span.
func (s *Span) XRay() string {
	if s == nil {
		return ""
	}
	sc := s.s.SpanContext()
	id := sc.TraceID().String()
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=1-" + id[:8] + "-" + id[8:] + ";Parent=" + sc.SpanID().String() + ";Sampled=" + sampled
}

// ColdFrom marks ctx's span (the call's server span) cold or warm.
func ColdFrom(ctx context.Context, cold bool) {
	if s := oteltrace.SpanFromContext(ctx); s.IsRecording() {
		s.SetAttributes(attribute.Bool(KeyColdStart, cold))
	}
}

func setOutcome(s oteltrace.Span, outcome string) {
	s.SetAttributes(attribute.String(KeyOutcome, outcome))
	if outcome != "" && outcome != "success" {
		s.SetStatus(codes.Error, outcome)
	}
}

// parseXRay reads Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>.
func parseXRay(h string) (oteltrace.SpanContext, bool) {
	var root, parent, sampled string
	for _, part := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		}
	}
	r := strings.Split(root, "-")
	if len(r) != 3 || r[0] != "1" {
		return oteltrace.SpanContext{}, false
	}
	tb, err := hex.DecodeString(r[1] + r[2])
	if err != nil || len(tb) != 16 {
		return oteltrace.SpanContext{}, false
	}
	sb, err := hex.DecodeString(parent)
	if err != nil || len(sb) != 8 {
		return oteltrace.SpanContext{}, false
	}
	var tid oteltrace.TraceID
	var sid oteltrace.SpanID
	copy(tid[:], tb)
	copy(sid[:], sb)
	cfg := oteltrace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	if sampled == "1" {
		cfg.TraceFlags = oteltrace.FlagsSampled
	}
	sc := oteltrace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}
