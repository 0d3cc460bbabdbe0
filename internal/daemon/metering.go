package daemon

import (
	"strings"

	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/pool"
)

// provisionedSamples counts the pool's ready provisioned instances per
// version for the meter. Version keys are tenant/function/version/revision
// (router.Target).
func provisionedSamples(pl *pool.Pool) func() []meter.ProvisionedSample {
	return func() []meter.ProvisionedSample {
		groups := pl.ProvisionedGroups()
		out := make([]meter.ProvisionedSample, 0, len(groups))
		for _, g := range groups {
			parts := strings.SplitN(g.Key, "/", 4)
			if len(parts) < 3 {
				continue
			}
			out = append(out, meter.ProvisionedSample{Tenant: parts[0], Function: parts[1], Version: parts[2], MemoryMB: g.MemoryMB, Ready: g.Ready})
		}
		return out
	}
}
