package stack

import (
	"fmt"
	"strings"
)

// sub is Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" or [text, {Name: value}].
func (s *scope) sub(arg any, path string) (any, error) {
	var text string
	vars := map[string]string{}
	switch x := arg.(type) {
	case string:
		text = x
	case []any:
		if len(x) != 2 {
			return nil, s.fail(path, "Fn::Sub takes a string or a list [string, variables], not a list of %d", len(x))
		}
		t, ok := x[0].(string)
		if !ok {
			return nil, s.fail(path, "Fn::Sub's text must be a string, not %s", kindOf(x[0]))
		}
		text = t
		m, ok := x[1].(map[string]any)
		if !ok {
			return nil, s.fail(path, "Fn::Sub's variables must be a mapping, not %s", kindOf(x[1]))
		}
		for _, k := range sortedKeys(m) {
			v, err := s.eval(m[k], join(path, k))
			if err != nil {
				return nil, err
			}
			if vars[k], err = s.text(v, join(path, k)); err != nil {
				return nil, err
			}
		}
	default:
		return nil, s.fail(path, "Fn::Sub takes a string or a list [string, variables], not %s", kindOf(arg))
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		b.WriteString(text[:i])
		text = text[i+2:]
		if strings.HasPrefix(text, "!") {
			b.WriteString("${")
			text = text[1:]
			continue
		}
		end := strings.Index(text, "}")
		if end < 0 {
			return nil, s.fail(path, "Fn::Sub: ${ without a closing }")
		}
		name := strings.TrimSpace(text[:end])
		text = text[end+1:]
		v, err := s.subVar(name, vars, path)
		if err != nil {
			return nil, err
		}
		b.WriteString(v)
	}
}

func (s *scope) subVar(name string, vars map[string]string, path string) (string, error) {
	if v, ok := vars[name]; ok {
		return v, nil
	}
	if name == "" {
		return "", s.fail(path, "Fn::Sub: an empty ${}")
	}
	var v any
	var err error
	if res, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
		v, err = s.attribute(res, attr, path)
	} else {
		v, err = s.ref(name, path)
	}
	if err != nil {
		return "", err
	}
	if _, list := v.([]any); list {
		return "", s.fail(path, "Fn::Sub: ${%s} is a list: use Fn::Join to make it a string", name)
	}
	return s.text(v, path)
}

// boolean evaluates a condition expression: Fn::Equals, Fn::Not, Fn::And,
// Fn::Or or {Condition: name}.
func (s *scope) boolean(expr any, path string) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, s.fail(path, "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition, not %s", describe(expr))
	}
	for name, arg := range m {
		at := join(path, name)
		switch name {
		case "Condition":
			ref, ok := arg.(string)
			if !ok {
				return false, s.fail(at, "Condition takes a condition's name, not %s", kindOf(arg))
			}
			if _, ok := s.r.t.Conditions[ref]; !ok {
				return false, s.fail(at, "%s is not a condition of the template", ref)
			}
			return s.r.condition(ref)
		case "Fn::Equals":
			list, err := s.args(name, arg, at, 2, 2)
			if err != nil {
				return false, err
			}
			vals, err := s.texts(list, at)
			if err != nil {
				return false, err
			}
			return vals[0] == vals[1], nil
		case "Fn::Not":
			list, err := s.args(name, arg, at, 1, 1)
			if err != nil {
				return false, err
			}
			v, err := s.boolean(list[0], at+"[0]")
			return !v, err
		case "Fn::And", "Fn::Or":
			list, err := s.args(name, arg, at, 2, 10)
			if err != nil {
				return false, err
			}
			and := name == "Fn::And"
			result := and
			for i, c := range list {
				v, err := s.boolean(c, fmt.Sprintf("%s[%d]", at, i))
				if err != nil {
					return false, err
				}
				if and {
					result = result && v
				} else {
					result = result || v
				}
			}
			return result, nil
		}
		return false, s.fail(at, "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition, not %s", name)
	}
	return false, nil
}
