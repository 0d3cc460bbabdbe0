package attr

import (
	"bytes"
	"strings"
)

// Compare orders two scalar values of the same type the way DynamoDB's
// comparators and sort keys do: S bytewise by UTF-8, N by numeric value,
// B bytewise. ok is false for other types, mixed types and invalid
// numbers.
func Compare(a, b Value) (c int, ok bool) {
	switch {
	case a.S != nil && b.S != nil:
		return strings.Compare(*a.S, *b.S), true
	case a.N != nil && b.N != nil:
		x, err := parseNum(*a.N)
		if err != nil {
			return 0, false
		}
		y, err := parseNum(*b.N)
		if err != nil {
			return 0, false
		}
		return x.cmp(y), true
	case a.B != nil && b.B != nil:
		return bytes.Compare(a.B, b.B), true
	}
	return 0, false
}

// Equal reports whether two values are the same DynamoDB value: same type,
// numbers by value, sets as sets (order ignored), maps and lists deeply.
func Equal(a, b Value) bool {
	t := a.Type()
	if t != b.Type() {
		return false
	}
	switch t {
	case "S", "N", "B":
		c, ok := Compare(a, b)
		return ok && c == 0
	case "BOOL":
		return *a.BOOL == *b.BOOL
	case "NULL":
		return true
	case "M":
		if len(a.M) != len(b.M) {
			return false
		}
		for k, av := range a.M {
			bv, found := b.M[k]
			if !found || !Equal(av, bv) {
				return false
			}
		}
		return true
	case "L":
		if len(a.L) != len(b.L) {
			return false
		}
		for i := range a.L {
			if !Equal(a.L[i], b.L[i]) {
				return false
			}
		}
		return true
	case "SS", "NS", "BS":
		ae, be := a.SetElems(), b.SetElems()
		if len(ae) != len(be) {
			return false
		}
		for _, x := range ae {
			if !Contains(b, x) {
				return false
			}
		}
		return true
	}
	return false
}

// SetElems returns the elements of a set value (SS, NS or BS) as scalar
// values (S, N or B); nil for other types.
func (v Value) SetElems() []Value {
	var out []Value
	switch {
	case v.SS != nil:
		for _, s := range v.SS {
			out = append(out, Str(s))
		}
	case v.NS != nil:
		for _, n := range v.NS {
			out = append(out, Num(n))
		}
	case v.BS != nil:
		for _, b := range v.BS {
			out = append(out, Bin(b))
		}
	}
	return out
}

// Contains reports whether set (SS, NS or BS) holds the scalar elem, with
// numbers compared by value.
func Contains(set, elem Value) bool {
	for _, e := range set.SetElems() {
		if c, ok := Compare(e, elem); ok && c == 0 {
			return true
		}
	}
	return false
}

// SetOf builds a set of the given element type ("S", "N" or "B") from
// scalar values; the caller ensures every element has that type.
func SetOf(elemType string, elems []Value) Value {
	switch elemType {
	case "S":
		ss := make([]string, 0, len(elems))
		for _, e := range elems {
			ss = append(ss, *e.S)
		}
		return Value{SS: ss}
	case "N":
		ns := make([]string, 0, len(elems))
		for _, e := range elems {
			ns = append(ns, *e.N)
		}
		return Value{NS: ns}
	default:
		bs := make([][]byte, 0, len(elems))
		for _, e := range elems {
			bs = append(bs, e.B)
		}
		return Value{BS: bs}
	}
}
