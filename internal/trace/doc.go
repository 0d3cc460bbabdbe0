// Package trace owns tracing: a call's trace header, as X-Amzn-Trace-Id
// (AWS X-Ray's) or W3C traceparent, becomes the _X_AMZN_TRACE_ID a
// function's runtime sees (Header); with an OTLP endpoint, a Tracer makes
// each synchronous call's spans — gateway (a child of the caller's span),
// admission and instance under it, function under instance — and exports
// them over OTLP/HTTP. A nil *Tracer makes nothing and costs a nil check.
package trace
