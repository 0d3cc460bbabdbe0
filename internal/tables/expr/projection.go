package expr

import (
	"sort"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Projection is a parsed ProjectionExpression: the paths to return.
type Projection struct {
	paths []Path
	used
}

// ParseProjection parses a ProjectionExpression: paths separated by
// commas.
func ParseProjection(s string, names Names) (*Projection, error) {
	p, err := newParser("ProjectionExpression", s, names, nil)
	if err != nil {
		return nil, err
	}
	pr := &Projection{}
	for {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		pr.paths = append(pr.paths, path)
		if !p.accept(",") {
			break
		}
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	if err := checkPaths(p.kind, pr.paths); err != nil {
		return nil, err
	}
	pr.used = p.used
	return pr, nil
}

// Apply returns the part of item the paths select, shaped as DynamoDB
// returns it: map fields inside their maps, projected list elements
// together in a list in index order; missing paths are left out. A nil
// item gives nil.
func (p *Projection) Apply(item attr.Item) attr.Item {
	if item == nil {
		return nil
	}
	root := &projNode{}
	for _, path := range p.paths {
		v, ok := path.Get(item)
		if !ok {
			continue
		}
		n := root
		for _, s := range path {
			n = n.child(s)
		}
		n.leaf = &v
	}
	out := attr.Item{}
	for name, n := range root.fields {
		out[name] = n.value()
	}
	return out
}

// projNode collects the projected parts of one value.
type projNode struct {
	leaf   *attr.Value
	fields map[string]*projNode
	elems  map[int]*projNode
}

func (n *projNode) child(s Step) *projNode {
	if s.IsIndex {
		if n.elems == nil {
			n.elems = map[int]*projNode{}
		}
		if n.elems[s.Index] == nil {
			n.elems[s.Index] = &projNode{}
		}
		return n.elems[s.Index]
	}
	if n.fields == nil {
		n.fields = map[string]*projNode{}
	}
	if n.fields[s.Name] == nil {
		n.fields[s.Name] = &projNode{}
	}
	return n.fields[s.Name]
}

func (n *projNode) value() attr.Value {
	switch {
	case n.leaf != nil:
		return *n.leaf
	case n.fields != nil:
		m := make(map[string]attr.Value, len(n.fields))
		for k, c := range n.fields {
			m[k] = c.value()
		}
		return attr.Map(m)
	}
	idx := make([]int, 0, len(n.elems))
	for i := range n.elems {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	l := make([]attr.Value, len(idx))
	for j, i := range idx {
		l[j] = n.elems[i].value()
	}
	return attr.List(l)
}
