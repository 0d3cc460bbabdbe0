package tables

import "github.com/updraft-dev/updraft/internal/tables/attr"

// ItemSize is an item's size as DynamoDB counts it toward the 400 KB limit.
func ItemSize(it attr.Item) int { return attr.ItemSize(it) }

// canonicalItem writes every number of it in its canonical form ("1.50"
// is stored and returned as "1.5", as DynamoDB does); it assumes it was
// validated.
func canonicalItem(it attr.Item) attr.Item {
	out := make(attr.Item, len(it))
	for k, v := range it {
		out[k] = canonicalValue(v)
	}
	return out
}

func canonicalValue(v attr.Value) attr.Value {
	switch v.Type() {
	case "N":
		if c, err := attr.CanonicalNumber(*v.N); err == nil {
			return attr.Num(c)
		}
	case "NS":
		ns := make([]string, len(v.NS))
		for i, n := range v.NS {
			ns[i] = n
			if c, err := attr.CanonicalNumber(n); err == nil {
				ns[i] = c
			}
		}
		return attr.Value{NS: ns}
	case "M":
		m := make(map[string]attr.Value, len(v.M))
		for k, e := range v.M {
			m[k] = canonicalValue(e)
		}
		return attr.Map(m)
	case "L":
		l := make([]attr.Value, len(v.L))
		for i, e := range v.L {
			l[i] = canonicalValue(e)
		}
		return attr.List(l)
	}
	return v
}
