package expr

import (
	"sort"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

func (v pathVal) value(it attr.Item) (attr.Value, error) {
	x, ok := v.Get(it)
	if !ok {
		return attr.Value{}, errMissingAttr()
	}
	return x, nil
}

func (v litVal) value(attr.Item) (attr.Value, error) { return v.v, nil }

func (v ifNotExists) value(it attr.Item) (attr.Value, error) {
	if x, ok := v.path.Get(it); ok {
		return x, nil
	}
	return v.dflt.value(it)
}

func (v listAppend) value(it attr.Item) (attr.Value, error) {
	a, err := v.a.value(it)
	if err != nil {
		return attr.Value{}, err
	}
	b, err := v.b.value(it)
	if err != nil {
		return attr.Value{}, err
	}
	if a.Type() != "L" || b.Type() != "L" {
		return attr.Value{}, errIncorrectType()
	}
	l := make([]attr.Value, 0, len(a.L)+len(b.L))
	return attr.List(append(append(l, a.L...), b.L...)), nil
}

func (v arith) value(it attr.Item) (attr.Value, error) {
	a, err := v.a.value(it)
	if err != nil {
		return attr.Value{}, err
	}
	b, err := v.b.value(it)
	if err != nil {
		return attr.Value{}, err
	}
	if a.N == nil || b.N == nil {
		return attr.Value{}, errIncorrectType()
	}
	if v.op == "+" {
		return attr.Add(a, b)
	}
	return attr.Sub(a, b)
}

// Apply returns the item the update makes of item (nil: no item yet). The
// input is never modified. Every SET value is computed from the item as it
// was before the update; then SET (list elements in index order, so
// several appends past the end keep their order), ADD, DELETE and REMOVE
// are applied (REMOVEs of list elements from the highest index down, so
// indexes refer to the original list).
func (u *Update) Apply(item attr.Item) (attr.Item, error) {
	out := make(attr.Item, len(item)+len(u.sets))
	for k, v := range item {
		out[k] = v
	}
	vals := make([]attr.Value, len(u.sets))
	for i, s := range u.sets {
		v, err := s.val.value(item)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	order := make([]int, len(u.sets))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return pathLess(u.sets[order[i]].path, u.sets[order[j]].path) })
	for _, i := range order {
		if err := setPath(out, u.sets[i].path, vals[i]); err != nil {
			return nil, err
		}
	}
	for _, a := range u.adds {
		if err := add(out, a); err != nil {
			return nil, err
		}
	}
	for _, d := range u.deletes {
		if err := del(out, d); err != nil {
			return nil, err
		}
	}
	removes := append([]Path{}, u.removes...)
	sort.Slice(removes, func(i, j int) bool { return pathLess(removes[j], removes[i]) })
	for _, r := range removes {
		if err := removePath(out, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pathLess orders paths step by step, list indexes numerically.
func pathLess(a, b Path) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.IsIndex && y.IsIndex && x.Index != y.Index:
			return x.Index < y.Index
		case !x.IsIndex && !y.IsIndex && x.Name != y.Name:
			return x.Name < y.Name
		case x.IsIndex != y.IsIndex:
			return x.IsIndex
		}
	}
	return len(a) < len(b)
}

// add is ADD: a number adds to a number (a missing one counts as 0), a
// set joins a set of the same type (a missing one counts as empty).
func add(item attr.Item, a setOp) error {
	cur, ok := a.path.Get(item)
	var nv attr.Value
	switch {
	case !ok:
		if _, err := parentOK(item, a.path); err != nil {
			return err
		}
		nv = a.v
	case cur.N != nil && a.v.N != nil:
		sum, err := attr.Add(cur, a.v)
		if err != nil {
			return err
		}
		nv = sum
	case cur.Type() == a.v.Type() && a.v.N == nil:
		elems := cur.SetElems()
		for _, e := range a.v.SetElems() {
			if !attr.Contains(cur, e) {
				elems = append(elems, e)
			}
		}
		nv = attr.SetOf(elemType(cur), elems)
	default:
		return errIncorrectType()
	}
	return setPath(item, a.path, nv)
}

// del is DELETE: removes the set's elements from a set of the same type;
// an emptied set is removed, a missing attribute is no change.
func del(item attr.Item, d setOp) error {
	cur, ok := d.path.Get(item)
	if !ok {
		_, err := parentOK(item, d.path)
		return err
	}
	if cur.Type() != d.v.Type() {
		return errIncorrectType()
	}
	var keep []attr.Value
	for _, e := range cur.SetElems() {
		if !attr.Contains(d.v, e) {
			keep = append(keep, e)
		}
	}
	if len(keep) == 0 {
		return removePath(item, d.path)
	}
	return setPath(item, d.path, attr.SetOf(elemType(cur), keep))
}

// parentOK reports whether the path's parent exists as a container (true
// for top-level paths), or the invalid-path error.
func parentOK(item attr.Item, p Path) (bool, error) {
	if len(p) == 1 {
		return true, nil
	}
	parent, ok := p[:len(p)-1].Get(item)
	last := p[len(p)-1]
	if !ok || (last.IsIndex && parent.Type() != "L") || (!last.IsIndex && parent.Type() != "M") {
		return false, errInvalidPath()
	}
	return true, nil
}

func elemType(set attr.Value) string { return set.Type()[:1] }
