package expr

import (
	"bytes"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// KeyCondition is a parsed KeyConditionExpression: the partition key's
// value and an optional condition on the sort key.
type KeyCondition struct {
	Hash  attr.Value
	Range *RangeCondition
	used
}

// RangeCondition is the sort key condition: Op is one of "=", "<", "<=",
// ">", ">=", "BETWEEN", "begins_with"; Values holds its one operand (two
// for BETWEEN).
type RangeCondition struct {
	Op     string
	Values []attr.Value
}

// ParseKeyCondition parses a KeyConditionExpression for a table keyed by
// hashKey (and rangeKey, "" when the table has none): hashKey = :v,
// optionally AND a condition on rangeKey.
func ParseKeyCondition(s string, names Names, values Values, hashKey, rangeKey string) (*KeyCondition, error) {
	c, err := parseCondition("KeyConditionExpression", s, names, values)
	if err != nil {
		return nil, err
	}
	var parts []cond
	switch n := c.root.(type) {
	case andNode:
		parts = []cond{n.l, n.r}
		if _, nested := n.l.(andNode); nested {
			return nil, errKeyNotSupported()
		}
	default:
		parts = []cond{n}
	}
	k := &KeyCondition{used: c.used}
	hashSeen := false
	for _, part := range parts {
		name, rc, err := keyPart(part)
		if err != nil {
			return nil, err
		}
		switch {
		case name == hashKey && !hashSeen && rc.Op == "=":
			hashSeen, k.Hash = true, rc.Values[0]
		case name == hashKey:
			return nil, errKeyNotSupported()
		case name == rangeKey && rangeKey != "" && k.Range == nil:
			k.Range = rc
		case rangeKey != "" && name != rangeKey && k.Range == nil && hashSeen:
			return nil, errMissedKey(rangeKey)
		default:
			return nil, errKeyNotSupported()
		}
	}
	if !hashSeen {
		return nil, errMissedKey(hashKey)
	}
	return k, nil
}

func errKeyNotSupported() error { return fn.Validation("Query key condition not supported") }

func errMissedKey(name string) error {
	return fn.Validation("Query condition missed key schema element: %s", name)
}

// keyPart reads one key condition: a top-level attribute compared with
// values.
func keyPart(c cond) (string, *RangeCondition, error) {
	top := func(o operand) (string, bool) {
		p, ok := o.(pathOperand)
		if !ok || len(p.Path) != 1 {
			return "", false
		}
		return p.Path[0].Name, true
	}
	lit := func(os ...operand) ([]attr.Value, bool) {
		var vs []attr.Value
		for _, o := range os {
			v, ok := o.(valueOperand)
			if !ok {
				return nil, false
			}
			vs = append(vs, v.v)
		}
		return vs, true
	}
	switch n := c.(type) {
	case cmpNode:
		name, ok := top(n.l)
		vs, vok := lit(n.r)
		if ok && vok && n.op != "<>" {
			return name, &RangeCondition{Op: n.op, Values: vs}, nil
		}
	case betweenNode:
		name, ok := top(n.x)
		vs, vok := lit(n.lo, n.hi)
		if ok && vok {
			return name, &RangeCondition{Op: "BETWEEN", Values: vs}, nil
		}
	case funcNode:
		name, ok := top(n.args[0])
		vs, vok := lit(n.args[1:]...)
		if n.name == "begins_with" && ok && vok {
			return name, &RangeCondition{Op: "begins_with", Values: vs}, nil
		}
	}
	return "", nil, errKeyNotSupported()
}

// Match reports whether a sort key value satisfies the range condition
// (true when there is none).
func (k *KeyCondition) Match(sortKey attr.Value) bool {
	r := k.Range
	if r == nil {
		return true
	}
	if r.Op == "begins_with" {
		p := r.Values[0]
		switch {
		case sortKey.S != nil && p.S != nil:
			return strings.HasPrefix(*sortKey.S, *p.S)
		case sortKey.B != nil && p.B != nil:
			return bytes.HasPrefix(sortKey.B, p.B)
		}
		return false
	}
	c, ok := attr.Compare(sortKey, r.Values[0])
	if !ok {
		return false
	}
	switch r.Op {
	case "=":
		return c == 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	hi, ok := attr.Compare(sortKey, r.Values[1]) // BETWEEN
	return ok && c >= 0 && hi <= 0
}

// CheckTypes checks the condition's values against the key attributes'
// types from the table's schema (rangeType "" when there is no sort key),
// with DynamoDB's message.
func (k *KeyCondition) CheckTypes(hashType, rangeType string) error {
	bad := fn.Validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
	if k.Hash.Type() != hashType {
		return bad
	}
	if k.Range != nil {
		for _, v := range k.Range.Values {
			if v.Type() != rangeType {
				return bad
			}
		}
	}
	return nil
}
