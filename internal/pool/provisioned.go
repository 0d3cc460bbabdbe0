package pool

import "sort"

// ProvisionedGroup is a version's provisioned instances that are ready
// (started, idle or busy), for metering them (internal/meter).
type ProvisionedGroup struct {
	Key      string // the version key
	Ready    int
	MemoryMB int // each
}

// ProvisionedGroups lists the versions with ready provisioned instances,
// sorted by key.
func (p *Pool) ProvisionedGroups() []ProvisionedGroup {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []ProvisionedGroup
	for key, g := range p.groups {
		if n := g.prov.pinned - g.prov.starting; n > 0 {
			out = append(out, ProvisionedGroup{Key: key, Ready: n, MemoryMB: g.memMB})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
