package topic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Filter policy scopes, as in the FilterPolicyScope subscription attribute.
const (
	ScopeMessageAttributes = "MessageAttributes"
	ScopeMessageBody       = "MessageBody"
)

// SNS's documented filter policy limits.
const (
	MaxFilterPolicyKeys         = 5
	MaxFilterPolicyCombinations = 150
	MaxFilterPolicyBytes        = 256 * 1024
)

// MessageAttribute is one SNS message attribute as published. DataType is
// String, Number, Binary or String.Array (a JSON array in StringValue).
type MessageAttribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// FilterPolicy is a parsed, validated subscription filter policy. The zero
// policy (and one parsed from "" or "{}") matches every message.
type FilterPolicy struct {
	scope        string
	branches     []branch // any branch matching accepts the message
	combinations int
}

// branch is one flattened alternative of the policy ("$or" expanded): every
// key condition must hold.
type branch []keyCond

type keyCond struct {
	path  []string // one element in the MessageAttributes scope
	rules []rule   // any rule holding satisfies the key
}

// Scope returns the policy's scope, MessageAttributes or MessageBody.
func (p *FilterPolicy) Scope() string {
	if p == nil || p.scope == "" {
		return ScopeMessageAttributes
	}
	return p.scope
}

// Combinations returns the policy's complexity as SNS counts it against the
// limit of 150.
func (p *FilterPolicy) Combinations() int {
	if p == nil {
		return 0
	}
	return p.combinations
}

// ParseFilterPolicy parses and validates a filter policy for scope
// ("MessageAttributes" when empty, or "MessageBody"). An invalid policy is an
// InvalidParameterValueException whose message, like SNS's InvalidParameter
// message, says what to fix.
func ParseFilterPolicy(policy, scope string) (*FilterPolicy, error) {
	switch scope {
	case "":
		scope = ScopeMessageAttributes
	case ScopeMessageAttributes, ScopeMessageBody:
	default:
		return nil, invalid("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", scope)
	}
	p := &FilterPolicy{scope: scope}
	if len(bytes.TrimSpace([]byte(policy))) == 0 {
		return p, nil
	}
	if len(policy) > MaxFilterPolicyBytes {
		return nil, invalid("FilterPolicy: Filter policy is too long: %d bytes, the maximum is %d", len(policy), MaxFilterPolicyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(policy)))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, invalid("FilterPolicy: failed to parse JSON: %v", err)
	}
	if dec.More() {
		return nil, invalid("FilterPolicy: failed to parse JSON: unexpected data after the policy object")
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, invalid("FilterPolicy: Filter policy must be a JSON object")
	}
	if len(obj) == 0 {
		return p, nil
	}
	if len(obj) > MaxFilterPolicyKeys {
		return nil, invalid("FilterPolicy: Filter policy can not have more than %d keys", MaxFilterPolicyKeys)
	}
	branches, combos, err := parseObject(obj, nil, 1, 1, scope)
	if err != nil {
		return nil, err
	}
	if combos > MaxFilterPolicyCombinations {
		return nil, invalid("FilterPolicy: Filter policy is too complex")
	}
	p.branches, p.combinations = branches, combos
	return p, nil
}

// parseObject flattens one policy object under path into branches, and
// counts combinations the way SNS does: each key's value count times its
// depth, multiplied across keys; "$or" branches summed.
func parseObject(obj map[string]any, path []string, depth, combos int, scope string) ([]branch, int, error) {
	branches := []branch{nil}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		val := obj[key]
		if alts, ok := orBranches(key, val); ok {
			var next []branch
			sum := 0
			for _, alt := range alts {
				sub, c, err := parseObject(alt, path, depth, combos, scope)
				if err != nil {
					return nil, 0, err
				}
				sum += c
				for _, b := range branches {
					for _, s := range sub {
						next = append(next, joinBranch(b, s))
					}
				}
			}
			branches, combos = next, sum
			if len(branches) > MaxFilterPolicyCombinations*MaxFilterPolicyKeys {
				return nil, 0, invalid("FilterPolicy: Filter policy is too complex")
			}
			continue
		}
		keyPath := append(append([]string(nil), path...), key)
		switch v := val.(type) {
		case map[string]any:
			if scope == ScopeMessageAttributes {
				return nil, 0, invalid("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			sub, c, err := parseObject(v, keyPath, depth+1, combos, scope)
			if err != nil {
				return nil, 0, err
			}
			var next []branch
			for _, b := range branches {
				for _, s := range sub {
					next = append(next, joinBranch(b, s))
				}
			}
			branches, combos = next, c
		case []any:
			if len(v) == 0 {
				return nil, 0, invalid("FilterPolicy: Empty arrays are not allowed")
			}
			rules := make([]rule, 0, len(v))
			for _, item := range v {
				r, err := parseRule(item)
				if err != nil {
					return nil, 0, err
				}
				rules = append(rules, r)
			}
			kc := keyCond{path: keyPath, rules: rules}
			for i := range branches {
				branches[i] = append(branches[i][:len(branches[i]):len(branches[i])], kc)
			}
			combos *= len(v) * depth
		default:
			return nil, 0, invalid("FilterPolicy: %q must be an object or an array", key)
		}
		if combos > MaxFilterPolicyCombinations {
			return nil, 0, invalid("FilterPolicy: Filter policy is too complex")
		}
	}
	return branches, combos, nil
}

// orBranches reports whether key/val is an "$or" SNS recognises: an array of
// at least two objects, none of which uses a reserved keyword as a field
// name. Otherwise "$or" is an ordinary key.
func orBranches(key string, val any) ([]map[string]any, bool) {
	if key != "$or" {
		return nil, false
	}
	arr, ok := val.([]any)
	if !ok || len(arr) < 2 {
		return nil, false
	}
	out := make([]map[string]any, 0, len(arr))
	for _, item := range arr {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, false
		}
		for k := range obj {
			if reserved[k] {
				return nil, false
			}
		}
		out = append(out, obj)
	}
	return out, true
}

var reserved = map[string]bool{
	"anything-but": true, "cidr": true, "equals-ignore-case": true, "exists": true,
	"numeric": true, "prefix": true, "suffix": true,
}

func joinBranch(a, b branch) branch {
	out := make(branch, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func invalid(format string, args ...any) error {
	return fn.InvalidParameter("Invalid parameter: "+format, args...)
}

// round5 keeps the five digits after the decimal point SNS compares.
func round5(f float64) float64 { return math.Round(f*1e5) / 1e5 }

func number(n json.Number) (float64, error) {
	f, err := n.Float64()
	if err != nil {
		return 0, fmt.Errorf("number %s: %w", n, err)
	}
	return f, nil
}
