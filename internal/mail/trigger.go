package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TriggerSpec is an updraft.yaml entry of type mail:
//
//	triggers:
//	  - type: mail
//	    recipients: [help@example.com, "@tickets.example.com"]
//	    qualifier: live        # optional: a version or alias
type TriggerSpec struct {
	Type       string   `json:"type"`
	Recipients []string `json:"recipients"`
	Qualifier  string   `json:"qualifier,omitempty"`
}

// Trigger applies updraft.yaml's mail triggers (control.TriggerKind): the
// routes a function declares are marked as its own ("yaml:FUNCTION"), so
// a deploy replaces only those, never routes made by the API or CLI.
type Trigger struct{ svc *Service }

// Trigger is the service's updraft.yaml trigger kind.
func (s *Service) Trigger() *Trigger { return &Trigger{svc: s} }

// declared reads specs into the routes they make for f.
func declared(f *fn.Function, specs []json.RawMessage) (map[string]Route, error) {
	out := map[string]Route{}
	for _, raw := range specs {
		var ts TriggerSpec
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ts); err != nil {
			return nil, fn.InvalidParameter("mail trigger of %s: %v: the fields are recipients: [ADDRESS or @DOMAIN, …] and qualifier:", f.Name, err)
		}
		if err := checkQualifier(ts.Qualifier); err != nil {
			return nil, err
		}
		if len(ts.Recipients) == 0 {
			return nil, fn.InvalidParameter("mail trigger of %s has no recipients: list addresses or @domains, e.g. recipients: [help@example.com]", f.Name)
		}
		for _, rc := range ts.Recipients {
			rcpt, err := NormalizeRecipient(rc)
			if err != nil {
				return nil, err
			}
			if prev, ok := out[rcpt]; ok && prev.Qualifier != ts.Qualifier {
				return nil, fn.InvalidParameter("mail trigger of %s names %s twice, with different qualifiers", f.Name, rcpt)
			}
			out[rcpt] = Route{Recipient: rcpt, Tenant: f.Tenant, Function: f.Name, Qualifier: ts.Qualifier, Owner: yamlOwner(f.Name)}
		}
	}
	return out, nil
}

// claim refuses to take over a route another function's updraft.yaml
// declares; API routes of the tenant are taken over.
func claim(f *fn.Function) func(old *Route) error {
	return func(old *Route) error {
		if strings.HasPrefix(old.Owner, "yaml:") && old.Owner != yamlOwner(f.Name) {
			return fn.Conflict("%s is already declared by the updraft.yaml of function %s: remove it there first", old.Recipient, strings.TrimPrefix(old.Owner, "yaml:"))
		}
		return nil
	}
}

// Check validates the entries and that no other tenant, nor another
// function's updraft.yaml, routes their recipients.
func (t *Trigger) Check(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	want, err := declared(f, specs)
	if err != nil {
		return err
	}
	for rcpt := range want {
		old, _, err := t.svc.routes.get(ctx, rcpt)
		if err != nil {
			return err
		}
		if old == nil {
			continue
		}
		if old.Tenant != f.Tenant {
			return routedElsewhere(rcpt)
		}
		if err := claim(f)(old); err != nil {
			return err
		}
	}
	return nil
}

// Apply makes f's declared routes exactly specs'.
func (t *Trigger) Apply(ctx context.Context, f *fn.Function, specs []json.RawMessage) error {
	want, err := declared(f, specs)
	if err != nil {
		return err
	}
	if err := t.drop(ctx, f.Tenant, f.Name, want); err != nil {
		return err
	}
	var errs []error
	for _, r := range want {
		if err := t.svc.routes.put(ctx, r, claim(f)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Remove drops the routes a deleted function declared.
func (t *Trigger) Remove(ctx context.Context, tenant, function string) error {
	return t.drop(ctx, tenant, function, nil)
}

// drop deletes function's declared routes not in keep.
func (t *Trigger) drop(ctx context.Context, tenant, function string, keep map[string]Route) error {
	owner := yamlOwner(function)
	have, err := t.svc.routes.list(ctx, func(r *Route) bool { return r.Tenant == tenant && r.Owner == owner })
	if err != nil {
		return err
	}
	for _, r := range have {
		if _, ok := keep[r.Recipient]; ok {
			continue
		}
		err := t.svc.routes.delete(ctx, tenant, r.Recipient, func(cur *Route) bool { return cur.Owner == owner })
		if err != nil && !fn.IsNotFound(err) {
			return fmt.Errorf("mail: remove the route of %s declared by %s: %w", r.Recipient, function, err)
		}
	}
	return nil
}
