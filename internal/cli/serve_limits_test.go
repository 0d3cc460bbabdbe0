package cli

import "testing"

// TestServeLimitFlags: the client limits of serve are validated with a
// message naming the bad value.
func TestServeLimitFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--header-timeout", "0s"}, "header timeout 0s must be positive"},
		{[]string{"--body-grace", "-1s"}, "body grace -1s must be positive"},
		{[]string{"--body-min-rate", "0"}, "body minimum rate 0 bytes/s must be positive"},
		{[]string{"--max-conns-per-ip", "-1"}, "max connections per IP -1 must not be negative"},
	} {
		r := run(t, nil, opts{env: map[string]string{"UPDRAFT_DATA_DIR": dir}}, append([]string{"serve"}, tc.args...)...)
		r.want(t, 1, "", tc.msg)
	}
}
