package trace

import (
	"net/http"
	"testing"
)

func TestHeader(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name      string
		xray, w3c string
		want      string
	}{
		{"x-ray wins", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", tp, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
		{"traceparent sampled", "", tp, "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"},
		{"traceparent not sampled", "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=0"},
		{"future version with more fields", "", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1"},
		{"version 00 with more fields", "", tp + "-extra", ""},
		{"invalid version ff", "", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},
		{"zero trace id", "", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},
		{"upper-case hex", "", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", ""},
		{"short", "", "00-4bf9-00f0-01", ""},
		{"none", "", "", ""},
	} {
		h := http.Header{}
		if tc.xray != "" {
			h.Set("X-Amzn-Trace-Id", tc.xray)
		}
		if tc.w3c != "" {
			h.Set("traceparent", tc.w3c)
		}
		if got := Header(h); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
