package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Trigger is updraft.yaml's `type: schedule` (a control.TriggerKind):
//
//	triggers:
//	  - type: schedule
//	    name: nightly              # default FUNCTION-N (N counts the schedule entries from 1)
//	    expression: cron(0 2 * * ? *)
//	    timezone: Europe/Berlin
//	    input: {"report": "daily"}
//	    catch_up: one
type Trigger struct{ s *Service }

// Trigger is the service's updraft.yaml trigger kind.
func (s *Service) Trigger() *Trigger { return &Trigger{s: s} }

// spec is one `type: schedule` entry.
type spec struct {
	Type           string          `json:"type"`
	Name           string          `json:"name"`
	Expression     string          `json:"expression"`
	Input          json.RawMessage `json:"input"`
	Timezone       string          `json:"timezone"`
	Start          *time.Time      `json:"start"`
	End            *time.Time      `json:"end"`
	FlexibleWindow int             `json:"flexible_window"`
	CatchUp        string          `json:"catch_up"`
	Qualifier      string          `json:"qualifier"`
	State          string          `json:"state"`
}

// schedules reads f's entries into schedules owned by its yaml.
func (t *Trigger) schedules(f *fn.Function, specs []json.RawMessage) ([]Schedule, error) {
	var out []Schedule
	seen := map[string]bool{}
	for i, raw := range specs {
		var sp spec
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sp); err != nil {
			return nil, fn.InvalidParameter("updraft.yaml triggers: schedule entry %d: %s (fields: name, expression, input, timezone, start, end, flexible_window, catch_up, qualifier, state)",
				i+1, strings.TrimPrefix(err.Error(), "json: "))
		}
		if sp.Name == "" {
			sp.Name = fmt.Sprintf("%s-%d", f.Name, i+1)
		}
		if sp.State == StateCompleted {
			return nil, fn.InvalidParameter("updraft.yaml triggers: schedule %s: state is ENABLED or DISABLED", sp.Name)
		}
		if seen[sp.Name] {
			return nil, fn.InvalidParameter("updraft.yaml triggers: two schedules are named %s: give each its own name:", sp.Name)
		}
		seen[sp.Name] = true
		if string(sp.Input) == "null" {
			sp.Input = nil
		}
		sc := Schedule{
			Name: sp.Name, Expression: sp.Expression, Function: f.Name, Qualifier: sp.Qualifier, Input: sp.Input,
			Timezone: sp.Timezone, Start: sp.Start, End: sp.End, FlexibleWindow: sp.FlexibleWindow,
			CatchUp: sp.CatchUp, State: sp.State, Owner: OwnerYAMLPrefix + f.Name,
		}
		if _, _, err := sc.Validate(); err != nil {
			return nil, fn.InvalidParameter("updraft.yaml triggers: %s", fn.AsError(err).Message)
		}
		out = append(out, sc)
	}
	return out, nil
}

// Check validates f's schedule entries.
func (t *Trigger) Check(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	scs, err := t.schedules(f, specs)
	if err != nil {
		return err
	}
	for _, sc := range scs {
		old, err := t.s.get(ctx, f.Tenant, sc.Name)
		if err == nil && old.Owner != sc.Owner {
			return fn.Conflict("updraft.yaml triggers: schedule %s already exists (%s): name this one differently", sc.Name, describeOwner(old.Owner))
		} else if err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func describeOwner(owner string) string {
	if f, ok := strings.CutPrefix(owner, OwnerYAMLPrefix); ok {
		return "declared by function " + f + "'s updraft.yaml"
	}
	return "made with the CLI or API"
}

// Apply makes f's yaml-declared schedules exactly specs: new ones are
// created, changed ones updated (their ticks count from now), unchanged
// ones left as they are (a completed one-time schedule stays completed),
// and those no longer declared removed.
func (t *Trigger) Apply(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	want, err := t.schedules(f, specs)
	if err != nil {
		return err
	}
	owner := OwnerYAMLPrefix + f.Name
	listed := map[string]bool{}
	for _, sc := range want {
		listed[sc.Name] = true
		old, err := t.s.get(ctx, f.Tenant, sc.Name)
		switch {
		case fn.IsNotFound(err):
			_, err = t.s.Create(ctx, f.Tenant, sc)
		case err != nil:
		case old.Owner != owner:
			err = fn.Conflict("schedule %s already exists (%s): name this one differently", sc.Name, describeOwner(old.Owner))
		case old.State == StateCompleted && sc.State == StateEnabled && sc.Expression == old.Expression:
			sc.State = StateCompleted
			if !sameDefinition(&old, &sc) {
				_, err = t.s.Update(ctx, f.Tenant, sc.Name, sc)
			}
		case !sameDefinition(&old, &sc):
			_, err = t.s.Update(ctx, f.Tenant, sc.Name, sc)
		}
		if err != nil {
			return err
		}
	}
	return t.removeOwned(ctx, f.Tenant, owner, listed)
}

// Remove drops the schedules a deleted function's updraft.yaml declared.
func (t *Trigger) Remove(ctx context.Context, tenant, function string) error {
	return t.removeOwned(ctx, tenant, OwnerYAMLPrefix+function, nil)
}

func (t *Trigger) removeOwned(ctx context.Context, tenant, owner string, keep map[string]bool) error {
	names, err := t.s.names(ctx, tenant)
	if err != nil {
		return err
	}
	for _, n := range names {
		sc, err := t.s.get(ctx, tenant, n)
		if fn.IsNotFound(err) || (err == nil && (sc.Owner != owner || keep[n])) {
			continue
		} else if err != nil {
			return err
		}
		if err := t.s.Delete(ctx, tenant, n); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// Tenant is the schedules of a tenant as one kind of resource (a
// control.TenantResources): deleting a tenant refuses while it has any,
// or with force deletes them.
type Tenant struct{ s *Service }

// TenantResources is the service's schedules per tenant.
func (s *Service) TenantResources() Tenant { return Tenant{s: s} }

// Kind names the resources.
func (Tenant) Kind() string { return "schedules" }

// Count is how many schedules tenant has.
func (t Tenant) Count(ctx context.Context, tenant string) (int, error) {
	names, err := t.s.names(ctx, tenant)
	return len(names), err
}

// DeleteAll deletes tenant's schedules.
func (t Tenant) DeleteAll(ctx context.Context, tenant string) error {
	names, err := t.s.names(ctx, tenant)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := t.s.Delete(ctx, tenant, n); err != nil && !fn.IsNotFound(err) {
			return err
		}
	}
	return nil
}
