package stack

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// noValue is what Ref AWS::NoValue gives: the property or list entry
// holding it is removed.
type noValue struct{}

// scope evaluates intrinsics at one place of the template: fail builds a
// refusal naming that place; refs collects the resources referred to.
type scope struct {
	r    *resolver
	fail func(path, format string, args ...any) *fn.Error
	refs map[string]bool // nil: not collected
	// conditions is set in the Conditions section, where Ref names only
	// parameters and pseudo parameters.
	conditions bool
}

// unsupported are intrinsic functions CloudFormation has and Updraft
// refuses, with why.
var unsupported = map[string]string{
	"Fn::GetAZs":       "a stack here has no availability zones",
	"Fn::ImportValue":  "Updraft has no cross-stack exports",
	"Fn::Transform":    "Updraft runs no macros",
	"Fn::Cidr":         "a stack here has no VPC",
	"Fn::Length":       "it needs the AWS::LanguageExtensions transform",
	"Fn::ToJsonString": "it needs the AWS::LanguageExtensions transform",
}

func (s *scope) eval(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || (s.conditions && k == "Condition") {
					return s.call(k, arg, join(path, k))
				}
			}
		}
		return s.evalMap(x, path)
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			rv, err := s.eval(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if _, none := rv.(noValue); !none {
				out = append(out, rv)
			}
		}
		return out, nil
	}
	return v, nil
}

// evalMap evaluates each value of m, leaving out the AWS::NoValue ones.
func (s *scope) evalMap(m map[string]any, path string) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		rv, err := s.eval(m[k], join(path, k))
		if err != nil {
			return nil, err
		}
		if _, none := rv.(noValue); !none {
			out[k] = rv
		}
	}
	return out, nil
}

func (s *scope) call(name string, arg any, path string) (any, error) {
	switch name {
	case "Ref":
		target, ok := arg.(string)
		if !ok {
			return nil, s.fail(path, "Ref takes a name, not %s", kindOf(arg))
		}
		return s.ref(target, path)
	case "Fn::GetAtt":
		return s.getAtt(arg, path)
	case "Fn::Sub":
		return s.sub(arg, path)
	case "Fn::Join":
		return s.join(arg, path)
	case "Fn::Select":
		return s.selectFn(arg, path)
	case "Fn::Split":
		return s.split(arg, path)
	case "Fn::If":
		return s.ifFn(arg, path)
	case "Fn::FindInMap":
		return s.findInMap(arg, path)
	case "Fn::Base64":
		v, err := s.eval(arg, path)
		if err != nil {
			return nil, err
		}
		str, err := s.text(v, path)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(str)), nil
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		if !s.conditions {
			return nil, s.fail(path, "%s is allowed only in the Conditions section (use Fn::If with a condition's name here)", name)
		}
		return s.boolean(map[string]any{name: arg}, strings.TrimSuffix(strings.TrimSuffix(path, name), "."))
	}
	if why, ok := unsupported[name]; ok {
		return nil, s.fail(path, "%s is not supported: %s", name, why)
	}
	return nil, s.fail(path, "%s is not an intrinsic function", name)
}

// args evaluates a list argument of fn and checks its length.
func (s *scope) args(fnName string, arg any, path string, min, max int) ([]any, error) {
	list, ok := arg.([]any)
	if !ok || len(list) < min || len(list) > max {
		n := fmt.Sprint(min)
		if max != min {
			n = fmt.Sprintf("%d to %d", min, max)
		}
		return nil, s.fail(path, "%s takes a list of %s arguments, not %s", fnName, n, describe(arg))
	}
	return list, nil
}

// text is v as a string: a number or boolean gives its text; a list or
// mapping is refused.
func (s *scope) text(v any, path string) (string, error) {
	if str, ok := v.(string); ok {
		return str, nil
	}
	if str, ok := formatNumber(v); ok {
		return str, nil
	}
	if _, none := v.(noValue); none {
		return "", s.fail(path, "AWS::NoValue cannot stand where a string is needed")
	}
	return "", s.fail(path, "must be a string, not %s", kindOf(v))
}

func (s *scope) ref(target, path string) (any, error) {
	switch target {
	case "AWS::Region":
		return s.r.in.Region, nil
	case "AWS::AccountId":
		return s.r.in.AccountID, nil
	case "AWS::StackName":
		return s.r.in.Stack, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/updraft", s.r.in.Region, s.r.in.AccountID, s.r.in.Stack), nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return nil, s.fail(path, "AWS::NotificationARNs is not supported: a stack here sends no notifications")
	}
	if v, ok := s.r.params[target]; ok {
		return v, nil
	}
	if strings.HasPrefix(target, "AWS::") {
		return nil, s.fail(path, "%s is not a pseudo parameter Updraft knows", target)
	}
	return s.attribute(target, "", path)
}

func (s *scope) getAtt(arg any, path string) (any, error) {
	if str, ok := arg.(string); ok {
		// The YAML long form Fn::GetAtt: Res.Attr.
		if res, attr, ok := strings.Cut(str, "."); ok {
			arg = []any{res, attr}
		}
	}
	list, err := s.args("Fn::GetAtt", arg, path, 2, 2)
	if err != nil {
		return nil, err
	}
	id, ok := list[0].(string)
	if !ok {
		return nil, s.fail(path, "Fn::GetAtt's resource must be a logical id, not %s", kindOf(list[0]))
	}
	av, err := s.eval(list[1], path)
	if err != nil {
		return nil, err
	}
	attr, err := s.text(av, path)
	if err != nil {
		return nil, err
	}
	if attr == "" {
		return nil, s.fail(path, "Fn::GetAtt needs an attribute name")
	}
	return s.attribute(id, attr, path)
}

// attribute is Ref (attr "") or GetAtt of the resource named id.
func (s *scope) attribute(id, attr, path string) (string, error) {
	if s.conditions {
		return "", s.fail(path, "%s: a condition may refer only to parameters and pseudo parameters", id)
	}
	e, ok := s.r.res[id]
	if !ok {
		return "", s.fail(path, "%s is not a parameter or resource of the template", id)
	}
	if e.dropped != "" {
		return "", s.fail(path, "refers to %s, which is left out: its Condition %s is false", id, e.dropped)
	}
	if e.owner != "" && e.owner != "SAM" {
		return s.generated(e, attr, path)
	}
	name, err := s.r.physicalName(e)
	if err != nil {
		return "", err
	}
	if s.refs != nil && e.owner == "" {
		s.refs[id] = true
	}
	v, err := Attribute(s.r.in, e.typ, name, attr)
	if err != nil {
		var fe *fn.Error
		if errors.As(err, &fe) {
			return "", s.fail(path, "%s: %s", id, fe.Message)
		}
		return "", err
	}
	return v, nil
}

// generated is Ref or GetAtt of a resource SAM makes for a function: its
// Role, its AutoPublishAlias alias and version.
func (s *scope) generated(e *entry, attr, path string) (string, error) {
	owner := s.r.res[e.owner]
	name, err := s.r.physicalName(owner)
	if err != nil {
		return "", err
	}
	switch e.typ {
	case "AWS::IAM::Role":
		role := name + "-Role"
		switch attr {
		case "":
			return role, nil
		case "Arn":
			return "arn:aws:iam::" + s.r.in.AccountID + ":role/" + role, nil
		case "RoleId":
			return role, nil
		}
	case "AWS::Lambda::Alias":
		if attr != "" {
			break
		}
		av, err := s.r.resourceScope(owner, false).eval(owner.props["AutoPublishAlias"], "AutoPublishAlias")
		if err != nil {
			return "", err
		}
		alias, ok := av.(string)
		if !ok || alias == "" {
			return "", s.fail(path, "%s: the function's AutoPublishAlias must be a name", e.id)
		}
		if s.refs != nil {
			s.refs[owner.id] = true
		}
		return fn.ARN(s.r.in.Tenant, name, alias), nil
	case "AWS::Lambda::Version":
		return "", s.fail(path, "%s: a function's version is known only once the deploy published it: refer to %s.Alias instead", e.id, owner.id)
	}
	return "", s.fail(path, "%s (%s) has no attribute %s that Updraft provides", e.id, e.typ, attr)
}

func (s *scope) selectFn(arg any, path string) (any, error) {
	list, err := s.args("Fn::Select", arg, path, 2, 2)
	if err != nil {
		return nil, err
	}
	iv, err := s.eval(list[0], path)
	if err != nil {
		return nil, err
	}
	is, err := s.text(iv, path)
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return nil, s.fail(path, "Fn::Select's index %q is not an integer", is)
	}
	lv, err := s.eval(list[1], path)
	if err != nil {
		return nil, err
	}
	items, ok := lv.([]any)
	if !ok {
		return nil, s.fail(path, "Fn::Select takes a list to select from, not %s", kindOf(lv))
	}
	if i < 0 || i >= len(items) {
		return nil, s.fail(path, "Fn::Select's index %d is outside the list of %d", i, len(items))
	}
	return items[i], nil
}

func (s *scope) split(arg any, path string) (any, error) {
	list, err := s.args("Fn::Split", arg, path, 2, 2)
	if err != nil {
		return nil, err
	}
	vals, err := s.texts(list, path)
	if err != nil {
		return nil, err
	}
	if vals[0] == "" {
		return nil, s.fail(path, "Fn::Split needs a delimiter")
	}
	var out []any
	for _, p := range strings.Split(vals[1], vals[0]) {
		out = append(out, p)
	}
	return out, nil
}

// texts evaluates each of list to a string.
func (s *scope) texts(list []any, path string) ([]string, error) {
	out := make([]string, len(list))
	for i, a := range list {
		v, err := s.eval(a, path)
		if err != nil {
			return nil, err
		}
		if out[i], err = s.text(v, path); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *scope) join(arg any, path string) (any, error) {
	list, err := s.args("Fn::Join", arg, path, 2, 2)
	if err != nil {
		return nil, err
	}
	delim, ok := list[0].(string)
	if !ok {
		return nil, s.fail(path, "Fn::Join's delimiter must be a string, not %s", kindOf(list[0]))
	}
	v, err := s.eval(list[1], path)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, s.fail(path, "Fn::Join takes a list of values to join, not %s", kindOf(v))
	}
	parts := make([]string, len(items))
	for i, it := range items {
		if parts[i], err = s.text(it, path); err != nil {
			return nil, err
		}
	}
	return strings.Join(parts, delim), nil
}

func (s *scope) ifFn(arg any, path string) (any, error) {
	list, err := s.args("Fn::If", arg, path, 3, 3)
	if err != nil {
		return nil, err
	}
	name, ok := list[0].(string)
	if !ok {
		return nil, s.fail(path, "Fn::If's first argument must name a condition, not %s", kindOf(list[0]))
	}
	v, ok := s.r.conds[name]
	if !ok {
		return nil, s.fail(path, "%s is not a condition of the template", name)
	}
	if v {
		return s.eval(list[1], path)
	}
	return s.eval(list[2], path)
}

func (s *scope) findInMap(arg any, path string) (any, error) {
	list, err := s.args("Fn::FindInMap", arg, path, 3, 3)
	if err != nil {
		return nil, err
	}
	keys, err := s.texts(list, path)
	if err != nil {
		return nil, err
	}
	m, ok := s.r.t.Mappings[keys[0]].(map[string]any)
	if !ok {
		return nil, s.fail(path, "Fn::FindInMap: %s is not a mapping of the template", keys[0])
	}
	second, ok := m[keys[1]].(map[string]any)
	if !ok {
		return nil, s.fail(path, "Fn::FindInMap: mapping %s has no key %s", keys[0], keys[1])
	}
	v, ok := second[keys[2]]
	if !ok {
		return nil, s.fail(path, "Fn::FindInMap: mapping %s.%s has no key %s", keys[0], keys[1], keys[2])
	}
	return v, nil
}
