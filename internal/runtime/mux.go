package runtime

import "context"

// Mux is a Runtime that starts each instance on the runtime its Spec names,
// so one pool runs process and Wasm functions side by side.
type Mux struct {
	byName   map[string]Runtime
	fallback Runtime
}

var _ Runtime = (*Mux)(nil)

// NewMux starts instances of the runtimes named in byName (by Spec.Runtime,
// e.g. fn.RuntimeWasm) on them, and every other on fallback.
func NewMux(fallback Runtime, byName map[string]Runtime) *Mux {
	return &Mux{byName: byName, fallback: fallback}
}

// NewInstance starts spec's instance on its runtime.
func (m *Mux) NewInstance(ctx context.Context, spec Spec) (Instance, error) {
	if rt, ok := m.byName[spec.Runtime]; ok {
		return rt.NewInstance(ctx, spec)
	}
	return m.fallback.NewInstance(ctx, spec)
}
