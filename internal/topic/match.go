package topic

import (
	"encoding/json"
	"strconv"
)

// Match reports whether a message with these attributes and this body is
// delivered to a subscription with the policy. In the MessageAttributes
// scope body is ignored; in the MessageBody scope attrs are.
func (p *FilterPolicy) Match(attrs map[string]MessageAttribute, body []byte) bool {
	if p == nil || len(p.branches) == 0 {
		return true
	}
	var look func(path []string) ([]any, bool)
	if p.Scope() == ScopeMessageBody {
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			return false
		}
		obj, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		look = func(path []string) ([]any, bool) { return lookupBody(obj, path) }
	} else {
		if len(attrs) == 0 {
			return false // SNS: an empty set of attributes matches no policy
		}
		look = func(path []string) ([]any, bool) { return lookupAttribute(attrs, path[0]) }
	}
	for _, b := range p.branches {
		if b.match(look) {
			return true
		}
	}
	return false
}

func (b branch) match(look func([]string) ([]any, bool)) bool {
	for _, kc := range b {
		values, found := look(kc.path)
		if !kc.match(values, found) {
			return false
		}
	}
	return true
}

func (kc keyCond) match(values []any, found bool) bool {
	for _, r := range kc.rules {
		if r.kind == ruleExists {
			if r.flag && found && present(values) || !r.flag && !found {
				return true
			}
			continue
		}
		if !found {
			continue
		}
		for _, v := range values {
			if r.matchValue(v) {
				return true
			}
		}
	}
	return false
}

// present is SNS's "exists": true: some non-null, non-empty value.
func present(values []any) bool {
	for _, v := range values {
		if s, ok := v.(string); v != nil && (!ok || s != "") {
			return true
		}
	}
	return false
}

// lookupAttribute returns the comparable values of one message attribute:
// one string or number, or each element of a String.Array. Binary attributes
// are ignored, as SNS ignores them.
func lookupAttribute(attrs map[string]MessageAttribute, name string) ([]any, bool) {
	a, ok := attrs[name]
	if !ok {
		return nil, false
	}
	switch a.DataType {
	case "String":
		return []any{a.StringValue}, true
	case "Number":
		f, err := strconv.ParseFloat(a.StringValue, 64)
		if err != nil {
			return []any{a.StringValue}, true
		}
		return []any{f}, true
	case "String.Array", "Number.Array":
		var arr []any
		if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
			return nil, true
		}
		return leaves(arr, nil), true
	}
	if len(a.DataType) > 7 && a.DataType[:7] == "String." {
		return []any{a.StringValue}, true // custom type suffix: String.xyz
	}
	if len(a.DataType) > 7 && a.DataType[:7] == "Number." {
		f, err := strconv.ParseFloat(a.StringValue, 64)
		if err == nil {
			return []any{f}, true
		}
	}
	return nil, false
}

// lookupBody walks path through the JSON body; an array anywhere on the way
// matches through each of its elements. Only leaves (not objects) are values.
func lookupBody(v any, path []string) ([]any, bool) {
	if len(path) == 0 {
		switch t := v.(type) {
		case map[string]any:
			return nil, false // exists works on leaf nodes only
		case []any:
			out := leaves(t, nil)
			return out, true
		default:
			return []any{v}, true
		}
	}
	switch t := v.(type) {
	case map[string]any:
		child, ok := t[path[0]]
		if !ok {
			return nil, false
		}
		return lookupBody(child, path[1:])
	case []any:
		var out []any
		found := false
		for _, el := range t {
			vals, ok := lookupBody(el, path)
			if ok {
				found = true
				out = append(out, vals...)
			}
		}
		return out, found
	}
	return nil, false
}

// leaves flattens nested arrays into their scalar elements.
func leaves(arr []any, out []any) []any {
	for _, el := range arr {
		switch t := el.(type) {
		case []any:
			out = leaves(t, out)
		case map[string]any:
		default:
			out = append(out, t)
		}
	}
	return out
}
