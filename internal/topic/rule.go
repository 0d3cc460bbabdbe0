package topic

import (
	"encoding/json"
	"net"
	"strings"
)

type ruleKind int

const (
	ruleString ruleKind = iota
	ruleNumber
	ruleBool
	ruleNull
	rulePrefix
	ruleSuffix
	ruleEqualsIgnoreCase
	ruleAnythingBut       // not any of list
	ruleAnythingButPrefix // not starting with str
	ruleNumeric
	ruleExists
	ruleCIDR
)

// rule is one entry of a key's value array.
type rule struct {
	kind   ruleKind
	str    string
	num    float64
	flag   bool // ruleBool's value; ruleExists' wanted presence
	list   []rule
	bounds []bound // ruleNumeric: all must hold
	cidr   *net.IPNet
}

type bound struct {
	op  string // =, <, <=, >, >=
	val float64
}

// parseRule validates one policy value, with SNS's messages.
func parseRule(item any) (rule, error) {
	switch v := item.(type) {
	case string:
		return rule{kind: ruleString, str: v}, nil
	case json.Number:
		f, err := number(v)
		if err != nil {
			return rule{}, invalid("FilterPolicy: %v", err)
		}
		return rule{kind: ruleNumber, num: round5(f)}, nil
	case bool:
		return rule{kind: ruleBool, flag: v}, nil
	case nil:
		return rule{kind: ruleNull}, nil
	case map[string]any:
		return parseOperator(v)
	}
	return rule{}, invalid("FilterPolicy: Match value must be String, number, true, false, or null")
}

func parseOperator(obj map[string]any) (rule, error) {
	if len(obj) != 1 {
		return rule{}, invalid("FilterPolicy: Only one key allowed in match expression")
	}
	for op, val := range obj {
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
			s, ok := val.(string)
			if !ok {
				return rule{}, invalid("FilterPolicy: %s match pattern must be a string", op)
			}
			kind := map[string]ruleKind{"prefix": rulePrefix, "suffix": ruleSuffix, "equals-ignore-case": ruleEqualsIgnoreCase}[op]
			return rule{kind: kind, str: s}, nil
		case "anything-but":
			return parseAnythingBut(val)
		case "exists":
			b, ok := val.(bool)
			if !ok {
				return rule{}, invalid("FilterPolicy: exists match pattern must be either true or false.")
			}
			return rule{kind: ruleExists, flag: b}, nil
		case "numeric":
			return parseNumeric(val)
		case "cidr":
			return parseCIDR(val)
		default:
			return rule{}, invalid("FilterPolicy: Unrecognized match type %s", op)
		}
	}
	panic("unreachable")
}

func parseAnythingBut(val any) (rule, error) {
	switch v := val.(type) {
	case []any:
		if len(v) == 0 {
			return rule{}, invalid("FilterPolicy: Empty arrays are not allowed")
		}
		r := rule{kind: ruleAnythingBut}
		for _, item := range v {
			inner, err := parseAnythingButValue(item)
			if err != nil {
				return rule{}, err
			}
			r.list = append(r.list, inner)
		}
		return r, nil
	case map[string]any:
		if len(v) != 1 {
			return rule{}, invalid("FilterPolicy: Only one key allowed in match expression")
		}
		p, ok := v["prefix"]
		if !ok {
			for k := range v {
				return rule{}, invalid("FilterPolicy: Unsupported anything-but pattern: %s", k)
			}
		}
		s, ok := p.(string)
		if !ok {
			return rule{}, invalid("FilterPolicy: prefix match pattern must be a string")
		}
		return rule{kind: ruleAnythingButPrefix, str: s}, nil
	default:
		inner, err := parseAnythingButValue(v)
		if err != nil {
			return rule{}, err
		}
		return rule{kind: ruleAnythingBut, list: []rule{inner}}, nil
	}
}

func parseAnythingButValue(item any) (rule, error) {
	switch item.(type) {
	case string, json.Number:
		return parseRule(item)
	}
	return rule{}, invalid("FilterPolicy: Inside anything but list, start|null|boolean is not supported.")
}

func parseNumeric(val any) (rule, error) {
	terms, ok := val.([]any)
	if !ok || len(terms) == 0 {
		return rule{}, invalid("FilterPolicy: Value of numeric must be an array.")
	}
	r := rule{kind: ruleNumeric}
	op, ok := terms[0].(string)
	if !ok {
		return rule{}, invalid("FilterPolicy: Invalid member in numeric match: %v", terms[0])
	}
	switch op {
	case "=", "<", "<=", ">", ">=":
	default:
		return rule{}, invalid("FilterPolicy: Unrecognized numeric range operator: %s", op)
	}
	first, err := numericOperand(op, terms[1:])
	if err != nil {
		return rule{}, err
	}
	r.bounds = append(r.bounds, bound{op: op, val: first})
	if len(terms) == 2 {
		return r, nil
	}
	if op != ">" && op != ">=" {
		return rule{}, invalid("FilterPolicy: Too many elements in numeric expression")
	}
	op2, ok := terms[2].(string)
	if !ok {
		return rule{}, invalid("FilterPolicy: Bad value in numeric range: %v", terms[2])
	}
	if op2 != "<" && op2 != "<=" {
		return rule{}, invalid("FilterPolicy: Bad numeric range operator: %s", op2)
	}
	second, err := numericOperand(op2, terms[3:])
	if err != nil {
		return rule{}, err
	}
	if second <= first {
		return rule{}, invalid("FilterPolicy: Bottom must be less than top")
	}
	if len(terms) > 4 {
		return rule{}, invalid("FilterPolicy: Too many terms in numeric range expression")
	}
	r.bounds = append(r.bounds, bound{op: op2, val: second})
	return r, nil
}

func numericOperand(op string, rest []any) (float64, error) {
	name := op
	if op == "=" {
		name = "equals"
	}
	if len(rest) == 0 {
		return 0, invalid("FilterPolicy: Value of %s must be numeric", name)
	}
	n, ok := rest[0].(json.Number)
	if !ok {
		return 0, invalid("FilterPolicy: Value of %s must be numeric", name)
	}
	f, err := number(n)
	if err != nil {
		return 0, invalid("FilterPolicy: Value of %s must be numeric", name)
	}
	return round5(f), nil
}

func parseCIDR(val any) (rule, error) {
	s, ok := val.(string)
	if !ok {
		return rule{}, invalid("FilterPolicy: prefix match pattern must be a string")
	}
	if strings.Count(s, "/") != 1 {
		return rule{}, invalid("FilterPolicy: Malformed CIDR, one '/' required")
	}
	_, ipnet, err := net.ParseCIDR(s)
	if err != nil {
		return rule{}, invalid("FilterPolicy: Nonstandard IP address: %s", strings.SplitN(s, "/", 2)[0])
	}
	return rule{kind: ruleCIDR, cidr: ipnet}, nil
}

// matchValue reports whether one message value (string, float64, bool or
// nil) satisfies r. ruleExists is decided by the caller, on presence.
func (r rule) matchValue(v any) bool {
	switch r.kind {
	case ruleString:
		s, ok := v.(string)
		return ok && s == r.str
	case ruleNumber:
		f, ok := v.(float64)
		return ok && round5(f) == r.num
	case ruleBool:
		b, ok := v.(bool)
		return ok && b == r.flag
	case ruleNull:
		return v == nil
	case rulePrefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, r.str)
	case ruleSuffix:
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, r.str)
	case ruleEqualsIgnoreCase:
		s, ok := v.(string)
		return ok && strings.EqualFold(s, r.str)
	case ruleAnythingBut:
		if v == nil {
			return false
		}
		for _, not := range r.list {
			if not.matchValue(v) {
				return false
			}
		}
		return true
	case ruleAnythingButPrefix:
		s, ok := v.(string)
		return ok && !strings.HasPrefix(s, r.str)
	case ruleNumeric:
		f, ok := v.(float64)
		if !ok {
			return false
		}
		f = round5(f)
		for _, b := range r.bounds {
			if !b.holds(f) {
				return false
			}
		}
		return true
	case ruleCIDR:
		s, ok := v.(string)
		if !ok {
			return false
		}
		ip := net.ParseIP(s)
		return ip != nil && r.cidr.Contains(ip)
	}
	return false
}

func (b bound) holds(f float64) bool {
	switch b.op {
	case "=":
		return f == b.val
	case "<":
		return f < b.val
	case "<=":
		return f <= b.val
	case ">":
		return f > b.val
	case ">=":
		return f >= b.val
	}
	return false
}
