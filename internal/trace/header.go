package trace

import (
	"net/http"
	"strings"
)

// Header returns the request's trace header in X-Ray form: its
// X-Amzn-Trace-Id as sent, else its W3C traceparent converted
// (Root=1-<first 8 hex of the trace id>-<other 24>;Parent=<span
// id>;Sampled=<0|1>, the mapping X-Ray uses for W3C ids), else "".
func Header(h http.Header) string {
	if v := h.Get("X-Amzn-Trace-Id"); v != "" {
		return v
	}
	return FromTraceparent(h.Get("traceparent"))
}

// FromTraceparent converts a W3C traceparent
// (00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>) to an X-Ray
// trace header; "" when tp is not a valid one.
func FromTraceparent(tp string) string {
	parts := strings.Split(strings.TrimSpace(tp), "-")
	if len(parts) < 4 || len(parts[0]) != 2 || parts[0] == "ff" || (parts[0] == "00" && len(parts) != 4) {
		return ""
	}
	id, parent, flags := parts[1], parts[2], parts[3]
	if len(id) != 32 || len(parent) != 16 || len(flags) != 2 || !isHex(parts[0]+id+parent+flags) ||
		id == strings.Repeat("0", 32) || parent == strings.Repeat("0", 16) {
		return ""
	}
	sampled := "0"
	if strings.ContainsAny(flags[1:], "13579bdf") {
		sampled = "1"
	}
	return "Root=1-" + id[:8] + "-" + id[8:] + ";Parent=" + parent + ";Sampled=" + sampled
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
