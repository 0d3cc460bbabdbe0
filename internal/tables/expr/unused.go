package expr

import (
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Expr is any parsed expression: it reports the placeholders it uses.
type Expr interface {
	UsedNames() []string
	UsedValues() []string
}

var (
	_ Expr = (*Condition)(nil)
	_ Expr = (*Update)(nil)
	_ Expr = (*Projection)(nil)
	_ Expr = (*KeyCondition)(nil)
)

// CheckUnused fails, as DynamoDB does, when a request's
// ExpressionAttributeNames or ExpressionAttributeValues hold a placeholder
// none of its expressions use. Nil expressions are skipped.
func CheckUnused(names Names, values Values, exprs ...Expr) error {
	usedN, usedV := map[string]bool{}, map[string]bool{}
	for _, e := range exprs {
		if e == nil || isNilExpr(e) {
			continue
		}
		for _, n := range e.UsedNames() {
			usedN[n] = true
		}
		for _, v := range e.UsedValues() {
			usedV[v] = true
		}
	}
	var unusedV, unusedN []string
	for v := range values {
		if !usedV[v] {
			unusedV = append(unusedV, v)
		}
	}
	for n := range names {
		if !usedN[n] {
			unusedN = append(unusedN, n)
		}
	}
	if len(unusedV) > 0 {
		sort.Strings(unusedV)
		return fn.Validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(unusedV, ", "))
	}
	if len(unusedN) > 0 {
		sort.Strings(unusedN)
		return fn.Validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(unusedN, ", "))
	}
	return nil
}

// isNilExpr catches typed nil pointers passed as Expr.
func isNilExpr(e Expr) bool {
	switch x := e.(type) {
	case *Condition:
		return x == nil
	case *Update:
		return x == nil
	case *Projection:
		return x == nil
	case *KeyCondition:
		return x == nil
	}
	return false
}

// CheckPlaceholders checks a request's ExpressionAttributeNames and
// ExpressionAttributeValues themselves, as DynamoDB does before parsing:
// keys spelled #name and :value, names non-empty, values valid.
func CheckPlaceholders(names Names, values Values) error {
	for _, k := range sortedKeys(keySet(names)) {
		if !placeholder(k, '#') {
			return fn.Validation("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
		if names[k] == "" {
			return fn.Validation("ExpressionAttributeNames contains invalid value: Empty attribute name; key: %q", k)
		}
	}
	for _, k := range sortedKeys(keySet(values)) {
		if !placeholder(k, ':') {
			return fn.Validation("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
		if err := values[k].Validate(); err != nil {
			return fn.Validation("ExpressionAttributeValues contains invalid value: %s for key %s", fn.AsError(err).Message, k)
		}
	}
	return nil
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func placeholder(k string, prefix byte) bool {
	if len(k) < 2 || k[0] != prefix {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isWordChar(k[i]) {
			return false
		}
	}
	return true
}
