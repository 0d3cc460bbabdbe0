package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// The ids SAM generates for the implicit APIs of Api and HttpApi events.
const (
	ImplicitRestAPI = "ServerlessRestApi"
	ImplicitHTTPAPI = "ServerlessHttpApi"
)

// resolver holds what resolving one template needs.
type resolver struct {
	t      *Template
	in     Inputs
	params map[string]any // what Ref gives for each parameter
	conds  map[string]bool
	busy   map[string]bool // conditions being evaluated (cycles)
	res    map[string]*entry
	naming []string // resources whose names are being resolved (cycles)
}

// entry is a resource Ref and GetAtt may name: the template's and SAM's
// generated ones.
type entry struct {
	id, typ string
	props   map[string]any // Globals merged, not yet resolved
	dropped string         // the false Condition that left it out
	owner   string         // the function a generated Role or .Alias belongs to
	name    string
	named   bool
}

// Resolve applies parameters (in.Parameters over Defaults), conditions and
// Globals, and evaluates every intrinsic function of t.
func Resolve(t *Template, in Inputs) (*Resolved, error) {
	texts, refs, err := resolveParameters(t, in.Parameters)
	if err != nil {
		return nil, err
	}
	r := &resolver{t: t, in: in, params: refs, conds: map[string]bool{}, busy: map[string]bool{}, res: map[string]*entry{}}
	for _, name := range sortedKeys(t.Conditions) {
		if _, err := r.condition(name); err != nil {
			return nil, err
		}
	}
	if err := r.collect(); err != nil {
		return nil, err
	}
	out := &Resolved{Description: t.Description, Parameters: texts}
	for _, id := range sortedKeys(t.Resources) {
		e := r.res[id]
		if e.dropped != "" {
			continue
		}
		raw, err := r.resource(e)
		if err != nil {
			return nil, err
		}
		out.Resources = append(out.Resources, raw)
	}
	for _, key := range sortedKeys(t.Outputs) {
		o, ok, err := r.output(key, t.Outputs[key])
		if err != nil {
			return nil, err
		}
		if ok {
			out.Outputs = append(out.Outputs, o)
		}
	}
	return out, nil
}

// collect records the template's resources with Globals merged and
// Conditions applied, and the resources SAM generates for them.
func (r *resolver) collect() error {
	for _, id := range sortedKeys(r.t.Resources) {
		tr := r.t.Resources[id]
		e := &entry{id: id, typ: tr.Type}
		if tr.Condition != "" {
			ok, known := r.conds[tr.Condition]
			if !known {
				return invalid("Resource %s (%s), Condition: %s is not a condition of the template", id, tr.Type, tr.Condition)
			}
			if !ok {
				e.dropped = tr.Condition
			}
		}
		props, err := mergeGlobals(r.t, id, tr)
		if err != nil {
			return err
		}
		e.props = props
		r.res[id] = e
	}
	for _, id := range sortedKeys(r.t.Resources) {
		e := r.res[id]
		if e.typ != "AWS::Serverless::Function" {
			continue
		}
		drop := e.dropped
		if _, ok := e.props["Role"]; !ok {
			r.generate(id+"Role", "AWS::IAM::Role", id, drop)
		}
		if _, ok := e.props["AutoPublishAlias"]; ok {
			r.generate(id+".Alias", "AWS::Lambda::Alias", id, drop)
			r.generate(id+".Version", "AWS::Lambda::Version", id, drop)
		}
		events, _ := e.props["Events"].(map[string]any)
		for _, k := range sortedKeys(events) {
			ev, _ := events[k].(map[string]any)
			p, _ := ev["Properties"].(map[string]any)
			switch ev["Type"] {
			case "Api":
				if _, ok := p["RestApiId"]; !ok {
					r.generateAPI(ImplicitRestAPI, "AWS::Serverless::Api", drop)
				}
			case "HttpApi":
				if _, ok := p["ApiId"]; !ok {
					r.generateAPI(ImplicitHTTPAPI, "AWS::Serverless::HttpApi", drop)
				}
			}
		}
	}
	return nil
}

func (r *resolver) generate(id, typ, owner, dropped string) {
	if _, taken := r.res[id]; !taken {
		r.res[id] = &entry{id: id, typ: typ, owner: owner, dropped: dropped}
	}
}

// generateAPI records an implicit API: it exists when any function whose
// Condition holds has an event on it.
func (r *resolver) generateAPI(id, typ, dropped string) {
	e, ok := r.res[id]
	if !ok {
		r.res[id] = &entry{id: id, typ: typ, owner: "SAM", dropped: dropped}
		return
	}
	if e.owner == "SAM" && dropped == "" {
		e.dropped = ""
	}
}

// resource resolves one kept template resource.
func (r *resolver) resource(e *entry) (Raw, error) {
	tr := r.t.Resources[e.id]
	s := r.resourceScope(e, true)
	props, err := s.evalMap(e.props, "")
	if err != nil {
		return Raw{}, err
	}
	meta, err := r.resourceScope(e, false).evalMap(tr.Metadata, "Metadata")
	if err != nil {
		return Raw{}, err
	}
	for i, d := range tr.DependsOn {
		path := fmt.Sprintf("DependsOn[%d]", i)
		v, err := s.eval(d, path)
		if err != nil {
			return Raw{}, err
		}
		id, ok := v.(string)
		if !ok {
			return Raw{}, s.fail(path, "must name a resource, not %s", kindOf(v))
		}
		t, ok := r.t.Resources[id]
		switch {
		case !ok:
			return Raw{}, s.fail(path, "%s is not a resource of the template", id)
		case r.res[id].dropped != "":
			return Raw{}, s.fail(path, "%s is left out: its Condition %s is false", id, t.Condition)
		}
		s.refs[id] = true
	}
	delete(s.refs, e.id)
	deps := sortedKeys(s.refs)
	if len(deps) == 0 {
		deps = nil
	}
	if len(meta) == 0 {
		meta = nil
	}
	return Raw{LogicalID: e.id, Type: e.typ, Properties: props, DependsOn: deps, Metadata: meta}, nil
}

// resourceScope is where refusals name resource e; collecting records the
// resources referred to.
func (r *resolver) resourceScope(e *entry, collecting bool) *scope {
	s := &scope{r: r, fail: func(path, format string, args ...any) *fn.Error {
		return propError(e.id, e.typ, path, format, args...)
	}}
	if collecting {
		s.refs = map[string]bool{}
	}
	return s
}

func (r *resolver) output(key string, o TemplateOutput) (Output, bool, error) {
	s := &scope{r: r, fail: func(path, format string, args ...any) *fn.Error {
		where := "Output " + key
		if path != "" {
			where += ", " + path
		}
		return invalid("%s: %s", where, fmt.Sprintf(format, args...))
	}}
	if o.Condition != "" {
		ok, known := r.conds[o.Condition]
		if !known {
			return Output{}, false, s.fail("Condition", "%s is not a condition of the template", o.Condition)
		}
		if !ok {
			return Output{}, false, nil
		}
	}
	v, err := s.eval(o.Value, "Value")
	if err != nil {
		return Output{}, false, err
	}
	str, err := s.text(v, "Value")
	if err != nil {
		return Output{}, false, err
	}
	return Output{Key: key, Value: str, Description: o.Description}, true, nil
}

// condition evaluates the named condition of the Conditions section.
func (r *resolver) condition(name string) (bool, error) {
	if v, ok := r.conds[name]; ok {
		return v, nil
	}
	expr, ok := r.t.Conditions[name]
	if !ok {
		return false, invalid("Condition %s is not a condition of the template", name)
	}
	if r.busy[name] {
		return false, invalid("Condition %s refers to itself through Condition references", name)
	}
	r.busy[name] = true
	defer delete(r.busy, name)
	s := &scope{r: r, conditions: true, fail: func(path, format string, args ...any) *fn.Error {
		return invalid("Conditions.%s: %s", join(name, path), fmt.Sprintf(format, args...))
	}}
	v, err := s.boolean(expr, "")
	if err != nil {
		return false, err
	}
	r.conds[name] = v
	return v, nil
}

// physicalName is the name of resource e, resolving its name property
// (and FifoQueue / FifoTopic) first; a cycle of names is refused.
func (r *resolver) physicalName(e *entry) (string, error) {
	if e.named {
		return e.name, nil
	}
	for i, id := range r.naming {
		if id == e.id {
			cycle := append(append([]string{}, r.naming[i:]...), e.id)
			return "", invalid("the names of resources %s refer to each other in a cycle: name one of them without a reference", strings.Join(cycle, " → "))
		}
	}
	r.naming = append(r.naming, e.id)
	defer func() { r.naming = r.naming[:len(r.naming)-1] }()
	s := r.resourceScope(e, false)
	props := map[string]any{}
	keys := []string{"FifoQueue", "FifoTopic"}
	if p, ok := nameProperty[e.typ]; ok {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := e.props[k]
		if !ok {
			continue
		}
		rv, err := s.eval(v, k)
		if err != nil {
			return "", err
		}
		if _, none := rv.(noValue); !none {
			props[k] = rv
		}
	}
	e.name, e.named = PhysicalName(r.in.Stack, e.id, e.typ, props), true
	return e.name, nil
}
