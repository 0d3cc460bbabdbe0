package expr

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// cond is a node of a parsed condition.
type cond interface{ eval(attr.Item) bool }

// operand is a value a condition compares: a path, a :value or size(path).
// ok is false when it has no value in the item.
type operand interface {
	get(attr.Item) (attr.Value, bool)
}

type (
	andNode struct{ l, r cond }
	orNode  struct{ l, r cond }
	notNode struct{ x cond }
	cmpNode struct {
		op   string
		l, r operand
	}
	betweenNode struct{ x, lo, hi operand }
	inNode      struct {
		x    operand
		list []operand
	}
	funcNode struct {
		name string
		args []operand
	}
	pathOperand  struct{ Path }
	valueOperand struct {
		name string
		v    attr.Value
	}
	sizeOperand struct{ Path }
)

func (n andNode) eval(it attr.Item) bool { return n.l.eval(it) && n.r.eval(it) }
func (n orNode) eval(it attr.Item) bool  { return n.l.eval(it) || n.r.eval(it) }
func (n notNode) eval(it attr.Item) bool { return !n.x.eval(it) }

// eval compares two operands. A missing operand or mismatched types make
// every comparison false except <>, which is then true.
func (n cmpNode) eval(it attr.Item) bool {
	l, lok := n.l.get(it)
	r, rok := n.r.get(it)
	if !lok || !rok {
		return n.op == "<>"
	}
	switch n.op {
	case "=":
		return attr.Equal(l, r)
	case "<>":
		return !attr.Equal(l, r)
	}
	c, ok := attr.Compare(l, r)
	if !ok {
		return false
	}
	switch n.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func (n betweenNode) eval(it attr.Item) bool {
	x, ok1 := n.x.get(it)
	lo, ok2 := n.lo.get(it)
	hi, ok3 := n.hi.get(it)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	a, ok1 := attr.Compare(x, lo)
	b, ok2 := attr.Compare(x, hi)
	return ok1 && ok2 && a >= 0 && b <= 0
}

func (n inNode) eval(it attr.Item) bool {
	x, ok := n.x.get(it)
	if !ok {
		return false
	}
	for _, o := range n.list {
		if v, ok := o.get(it); ok && attr.Equal(x, v) {
			return true
		}
	}
	return false
}

func (n funcNode) eval(it attr.Item) bool {
	x, ok := n.args[0].get(it)
	switch n.name {
	case "attribute_exists":
		return ok
	case "attribute_not_exists":
		return !ok
	}
	y, yok := n.args[1].get(it)
	if !ok || !yok {
		return false
	}
	switch n.name {
	case "attribute_type":
		return y.S != nil && x.Type() == *y.S
	case "begins_with":
		switch {
		case x.S != nil && y.S != nil:
			return strings.HasPrefix(*x.S, *y.S)
		case x.B != nil && y.B != nil:
			return bytes.HasPrefix(x.B, y.B)
		}
		return false
	}
	return contains(x, y) // contains
}

// contains is true for a string holding a substring, a set holding an
// element, or a list holding an equal element.
func contains(x, y attr.Value) bool {
	switch x.Type() {
	case "S":
		return y.S != nil && strings.Contains(*x.S, *y.S)
	case "SS", "NS", "BS":
		return attr.Contains(x, y)
	case "L":
		for _, e := range x.L {
			if attr.Equal(e, y) {
				return true
			}
		}
	}
	return false
}

func (o pathOperand) get(it attr.Item) (attr.Value, bool) { return o.Get(it) }

func (o valueOperand) get(attr.Item) (attr.Value, bool) { return o.v, true }

// get is size(path): a string's or binary's length in bytes, a set's, a
// list's or a map's number of elements; none for other types.
func (o sizeOperand) get(it attr.Item) (attr.Value, bool) {
	v, ok := o.Get(it)
	if !ok {
		return attr.Value{}, false
	}
	n := -1
	switch v.Type() {
	case "S":
		n = len(*v.S)
	case "B":
		n = len(v.B)
	case "M":
		n = len(v.M)
	case "L":
		n = len(v.L)
	case "SS", "NS", "BS":
		n = len(v.SetElems())
	}
	if n < 0 {
		return attr.Value{}, false
	}
	return attr.Num(strconv.Itoa(n)), true
}
