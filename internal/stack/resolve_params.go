package stack

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parameterTypes are the parameter types Updraft resolves.
var parameterTypes = []string{"String", "Number", "CommaDelimitedList", "List<Number>"}

// resolveParameters returns the effective value text of each parameter
// and what Ref gives for it (a string, or a []any of strings for a list).
func resolveParameters(t *Template, overrides map[string]string) (map[string]string, map[string]any, error) {
	for _, k := range sortedKeys(overrides) {
		if _, ok := t.Parameters[k]; !ok {
			return nil, nil, invalid("parameter override %s names no parameter of the template (it declares %s)", k, declared(t))
		}
	}
	texts := make(map[string]string, len(t.Parameters))
	refs := make(map[string]any, len(t.Parameters))
	for _, name := range sortedKeys(t.Parameters) {
		p := t.Parameters[name]
		if !slices.Contains(parameterTypes, p.Type) {
			return nil, nil, invalid("Parameter %s: Type %s is not supported: use %s", name, p.Type, strings.Join(parameterTypes, ", "))
		}
		v, ok := overrides[name]
		if !ok {
			if p.Default == nil {
				return nil, nil, invalid("Parameter %s has no value and no Default: pass it with --parameter-overrides %s=VALUE", name, name)
			}
			v = *p.Default
		}
		ref, err := checkParameter(name, p, v)
		if err != nil {
			return nil, nil, err
		}
		texts[name], refs[name] = v, ref
	}
	return texts, refs, nil
}

func declared(t *Template) string {
	if len(t.Parameters) == 0 {
		return "no parameters"
	}
	return strings.Join(sortedKeys(t.Parameters), ", ")
}

// checkParameter validates value v of parameter p against its
// constraints and returns what Ref gives for it.
func checkParameter(name string, p Parameter, v string) (any, error) {
	refuse := func(format string, args ...any) error {
		msg := "Parameter " + name + ": "
		if p.ConstraintDescription != "" {
			return invalid("%s%s", msg, p.ConstraintDescription)
		}
		return invalid(msg+format, args...)
	}
	var elems []string
	list := p.Type == "CommaDelimitedList" || p.Type == "List<Number>"
	if list {
		for _, e := range strings.Split(v, ",") {
			elems = append(elems, strings.TrimSpace(e))
		}
	} else {
		elems = []string{v}
	}
	var pattern *regexp.Regexp
	if p.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return nil, invalid("Parameter %s: AllowedPattern %q is not a regular expression Updraft reads: %v", name, p.AllowedPattern, err)
		}
		pattern = re
	}
	for _, e := range elems {
		if p.Type == "Number" || p.Type == "List<Number>" {
			f, err := strconv.ParseFloat(e, 64)
			if err != nil {
				return nil, refuse("%q is not a number", e)
			}
			if p.MinValue != nil && f < *p.MinValue {
				return nil, refuse("%s is less than MinValue %v", e, *p.MinValue)
			}
			if p.MaxValue != nil && f > *p.MaxValue {
				return nil, refuse("%s is more than MaxValue %v", e, *p.MaxValue)
			}
		}
		if p.Type == "String" {
			n := utf8.RuneCountInString(e)
			if p.MinLength != nil && n < *p.MinLength {
				return nil, refuse("%q is shorter than MinLength %d", e, *p.MinLength)
			}
			if p.MaxLength != nil && n > *p.MaxLength {
				return nil, refuse("%q is longer than MaxLength %d", e, *p.MaxLength)
			}
		}
		if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, e) {
			return nil, refuse("%q is not one of the AllowedValues %s", e, strings.Join(p.AllowedValues, ", "))
		}
		if pattern != nil && !pattern.MatchString(e) {
			return nil, refuse("%q does not match AllowedPattern %s", e, p.AllowedPattern)
		}
	}
	if !list {
		return v, nil
	}
	out := make([]any, len(elems))
	for i, e := range elems {
		out[i] = e
	}
	return out, nil
}
