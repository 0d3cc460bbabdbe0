// Package trace owns trace context propagation: a call's trace header, as
// X-Amzn-Trace-Id (AWS X-Ray's) or W3C traceparent, becomes the
// _X_AMZN_TRACE_ID a function's runtime sees.
package trace
