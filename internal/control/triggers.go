package control

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TriggerKind owns one kind of updraft.yaml trigger (`type: schedule`,
// `type: http`, …): its package checks and applies the entries of that
// kind. The daemon registers each kind with RegisterTrigger.
type TriggerKind interface {
	// Check validates f's entries of this kind (each the whole entry as
	// JSON, type: included) and changes nothing. A refusal is an
	// InvalidParameterValueException saying what to fix.
	Check(ctx context.Context, f *fn.Function, specs []json.RawMessage) error
	// Apply makes f's declared triggers of this kind exactly specs: it
	// creates and updates what is listed and removes what an earlier
	// deploy declared and this one does not (specs empty: all of them).
	// It must be idempotent; state it keeps is durable.
	Apply(ctx context.Context, f *fn.Function, specs []json.RawMessage) error
	// Remove drops the declared triggers of tenant's deleted function.
	Remove(ctx context.Context, tenant, function string) error
}

// RegisterTrigger adds a trigger kind. Call before Start.
func (c *Control) RegisterTrigger(kind string, k TriggerKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.triggers == nil {
		c.triggers = map[string]TriggerKind{}
	}
	c.triggers[kind] = k
}

// CheckTriggers validates f's declared triggers: every type: is known and
// its kind accepts its entries. Deploy calls it before storing anything.
func (c *Control) CheckTriggers(ctx context.Context, f *fn.Function) error {
	if len(f.Triggers) == 0 {
		return nil
	}
	kinds := c.triggerKinds()
	for kind, specs := range byKind(f.Triggers) {
		k, ok := kinds[kind]
		if !ok {
			return fn.InvalidParameter("trigger type %q is not known: use one of %s", kind, strings.Join(sortedKeys(kinds), ", "))
		}
		if err := k.Check(ctx, f, specs); err != nil {
			return err
		}
	}
	return nil
}

// applyTriggers makes every kind's triggers of f what f declares (kinds it
// does not name lose theirs).
func (c *Control) applyTriggers(ctx context.Context, f *fn.Function) error {
	kinds := c.triggerKinds()
	want := byKind(f.Triggers)
	for _, kind := range sortedKeys(kinds) {
		if err := kinds[kind].Apply(ctx, f, want[kind]); err != nil {
			return fmt.Errorf("function %s is deployed, but its %s triggers are not all in place (deploy again to retry): %w", f.Name, kind, err)
		}
	}
	return nil
}

// removeTriggers drops every declared trigger of a deleted function.
func (c *Control) removeTriggers(ctx context.Context, tenant, name string) error {
	kinds := c.triggerKinds()
	for _, kind := range sortedKeys(kinds) {
		if err := kinds[kind].Remove(ctx, tenant, name); err != nil {
			return fmt.Errorf("control: remove %s triggers of %s: %w", kind, name, err)
		}
	}
	return nil
}

func (c *Control) triggerKinds() map[string]TriggerKind {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.triggers
}

func byKind(ts []fn.Trigger) map[string][]json.RawMessage {
	out := map[string][]json.RawMessage{}
	for _, t := range ts {
		out[t.Kind] = append(out[t.Kind], t.Spec)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Clip(out)
}
