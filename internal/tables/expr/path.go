package expr

import (
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Step is one element of a document path: a map key (or top-level
// attribute name) or a list index.
type Step struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[2].c, with placeholders resolved.
type Path []Step

// String writes the path the way DynamoDB's messages do: [a, b, [2], c].
func (p Path) String() string {
	parts := make([]string, len(p))
	for i, s := range p {
		if s.IsIndex {
			parts[i] = "[" + strconv.Itoa(s.Index) + "]"
		} else {
			parts[i] = s.Name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Get returns the value at the path in item, or false when any step is
// missing or of the wrong type.
func (p Path) Get(item attr.Item) (attr.Value, bool) {
	v, ok := item[p[0].Name]
	if !ok {
		return attr.Value{}, false
	}
	for _, s := range p[1:] {
		switch {
		case s.IsIndex && v.Type() == "L":
			if s.Index >= len(v.L) {
				return attr.Value{}, false
			}
			v = v.L[s.Index]
		case !s.IsIndex && v.Type() == "M":
			e, ok := v.M[s.Name]
			if !ok {
				return attr.Value{}, false
			}
			v = e
		default:
			return attr.Value{}, false
		}
	}
	return v, true
}

// relation says how two paths relate: unrelated, one a prefix of the
// other (overlap), or diverging at a step where one indexes a list and the
// other names a map key (conflict).
func relation(a, b Path) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x.IsIndex != y.IsIndex {
			return "conflict"
		}
		if x != y {
			return ""
		}
	}
	return "overlap"
}

// checkPaths rejects overlapping or conflicting paths with DynamoDB's
// messages.
func checkPaths(kind string, paths []Path) error {
	for i := range paths {
		for j := i + 1; j < len(paths); j++ {
			switch relation(paths[i], paths[j]) {
			case "overlap":
				return invalidf(kind, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", paths[i], paths[j])
			case "conflict":
				return invalidf(kind, "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", paths[i], paths[j])
			}
		}
	}
	return nil
}

// setIn returns a copy of v with the value at steps replaced by nv (a list
// index past the end appends). Containers along the path are copied, never
// modified.
func setIn(v attr.Value, steps Path, nv attr.Value) (attr.Value, error) {
	s := steps[0]
	switch {
	case s.IsIndex && v.Type() == "L":
		l := append([]attr.Value{}, v.L...)
		if len(steps) == 1 {
			if s.Index >= len(l) {
				l = append(l, nv)
			} else {
				l[s.Index] = nv
			}
			return attr.List(l), nil
		}
		if s.Index >= len(l) {
			return attr.Value{}, errInvalidPath()
		}
		e, err := setIn(l[s.Index], steps[1:], nv)
		if err != nil {
			return attr.Value{}, err
		}
		l[s.Index] = e
		return attr.List(l), nil
	case !s.IsIndex && v.Type() == "M":
		m := make(map[string]attr.Value, len(v.M)+1)
		for k, e := range v.M {
			m[k] = e
		}
		if len(steps) == 1 {
			m[s.Name] = nv
			return attr.Map(m), nil
		}
		e, ok := m[s.Name]
		if !ok {
			return attr.Value{}, errInvalidPath()
		}
		e, err := setIn(e, steps[1:], nv)
		if err != nil {
			return attr.Value{}, err
		}
		m[s.Name] = e
		return attr.Map(m), nil
	}
	return attr.Value{}, errInvalidPath()
}

// removeIn returns a copy of v without the value at steps; a missing
// element is no change.
func removeIn(v attr.Value, steps Path) (attr.Value, error) {
	s := steps[0]
	switch {
	case s.IsIndex && v.Type() == "L":
		if s.Index >= len(v.L) {
			return v, nil
		}
		l := append([]attr.Value{}, v.L...)
		if len(steps) == 1 {
			return attr.List(append(l[:s.Index], l[s.Index+1:]...)), nil
		}
		e, err := removeIn(l[s.Index], steps[1:])
		l[s.Index] = e
		return attr.List(l), err
	case !s.IsIndex && v.Type() == "M":
		e, ok := v.M[s.Name]
		if !ok {
			return v, nil
		}
		m := make(map[string]attr.Value, len(v.M))
		for k, e := range v.M {
			m[k] = e
		}
		if len(steps) == 1 {
			delete(m, s.Name)
			return attr.Map(m), nil
		}
		e, err := removeIn(e, steps[1:])
		m[s.Name] = e
		return attr.Map(m), err
	}
	return attr.Value{}, errInvalidPath()
}

// setPath sets the value at p in item (a copy the caller owns).
func setPath(item attr.Item, p Path, nv attr.Value) error {
	if len(p) == 1 {
		item[p[0].Name] = nv
		return nil
	}
	top, ok := item[p[0].Name]
	if !ok {
		return errInvalidPath()
	}
	v, err := setIn(top, p[1:], nv)
	if err != nil {
		return err
	}
	item[p[0].Name] = v
	return nil
}

// removePath removes the value at p from item (a copy the caller owns).
func removePath(item attr.Item, p Path) error {
	top, ok := item[p[0].Name]
	if !ok {
		return nil
	}
	if len(p) == 1 {
		delete(item, p[0].Name)
		return nil
	}
	v, err := removeIn(top, p[1:])
	if err != nil {
		return err
	}
	item[p[0].Name] = v
	return nil
}
