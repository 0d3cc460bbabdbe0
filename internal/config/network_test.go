package config

import (
	"strings"
	"testing"
)

// TestInstanceNetwork: isolated by default, host on request, nothing else.
func TestInstanceNetwork(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", InstanceNetworkIsolated, ""},
		{"isolated", InstanceNetworkIsolated, ""},
		{"host", InstanceNetworkHost, ""},
		{"bridge", "", "use isolated or host"},
	} {
		c := Default()
		c.DataDir, c.FunctionMemoryMB, c.InstanceNetwork = t.TempDir(), 1024, tc.in
		err := c.Validate()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error saying %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || c.InstanceNetwork != tc.want):
			t.Errorf("%q: %v, %q, want %q", tc.in, err, c.InstanceNetwork, tc.want)
		}
	}
	if Default().InstanceNetwork != InstanceNetworkIsolated {
		t.Errorf("default: %q", Default().InstanceNetwork)
	}
}
