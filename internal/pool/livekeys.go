package pool

// LiveKeys returns the keys of every version with an instance, starting,
// idle or busy, including retired versions whose busy instances have not
// finished yet: the code those instances run is still in use.
func (p *Pool) LiveKeys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for key, g := range p.groups {
		if g.total > 0 {
			out = append(out, key)
		}
	}
	for _, g := range p.retiring {
		if g.total > 0 {
			out = append(out, g.key)
		}
	}
	return out
}
