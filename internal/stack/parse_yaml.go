package stack

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// shortForms maps CloudFormation's YAML tags to their long forms.
var shortForms = map[string]string{
	"!Ref":       "Ref",
	"!GetAtt":    "Fn::GetAtt",
	"!Sub":       "Fn::Sub",
	"!Join":      "Fn::Join",
	"!Select":    "Fn::Select",
	"!Split":     "Fn::Split",
	"!If":        "Fn::If",
	"!Equals":    "Fn::Equals",
	"!Not":       "Fn::Not",
	"!And":       "Fn::And",
	"!Or":        "Fn::Or",
	"!Condition": "Condition",
	"!FindInMap": "Fn::FindInMap",
	"!Base64":    "Fn::Base64",
	// Known to CloudFormation; parsed so Resolve refuses them where used.
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Cidr":         "Fn::Cidr",
	"!Transform":    "Fn::Transform",
	"!Length":       "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString",
}

// tagShape is what node kind a short form takes: scalar, sequence, or
// "" for either (or a mapping).
var tagShape = map[string]yaml.Kind{
	"!Ref":       yaml.ScalarNode,
	"!Condition": yaml.ScalarNode,
	"!Join":      yaml.SequenceNode,
	"!Select":    yaml.SequenceNode,
	"!Split":     yaml.SequenceNode,
	"!If":        yaml.SequenceNode,
	"!Equals":    yaml.SequenceNode,
	"!Not":       yaml.SequenceNode,
	"!And":       yaml.SequenceNode,
	"!Or":        yaml.SequenceNode,
	"!FindInMap": yaml.SequenceNode,
}

func nodeKind(k yaml.Kind) string {
	switch k {
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "an alias"
}

// fromNode turns a YAML node into JSON-like values, short forms into
// long forms. path names the node in refusals.
func fromNode(n *yaml.Node, path string) (any, error) {
	if n.Kind == yaml.AliasNode {
		return fromNode(n.Alias, path)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return fromTagged(n, path)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalar(n, path)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := fromNode(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		return mapping(n, path)
	}
	return nil, invalid("%s (line %d): unexpected YAML node", where(path), n.Line)
}

func where(path string) string {
	if path == "" {
		return "the template"
	}
	return path
}

func mapping(n *yaml.Node, path string) (map[string]any, error) {
	m := make(map[string]any, len(n.Content)/2)
	var merged []map[string]any
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, vn := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, invalid("%s (line %d): a key must be a string", where(path), k.Line)
		}
		if k.Tag == "!!merge" {
			v, err := fromNode(vn, path)
			if err != nil {
				return nil, err
			}
			switch x := v.(type) {
			case map[string]any:
				merged = append(merged, x)
			case []any:
				for _, e := range x {
					if em, ok := e.(map[string]any); ok {
						merged = append(merged, em)
					}
				}
			}
			continue
		}
		if _, dup := m[k.Value]; dup {
			return nil, invalid("%s (line %d): key %s appears twice", where(join(path, k.Value)), k.Line, k.Value)
		}
		v, err := fromNode(vn, join(path, k.Value))
		if err != nil {
			return nil, err
		}
		m[k.Value] = v
	}
	for _, mm := range merged {
		for k, v := range mm {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
	}
	return m, nil
}

func scalar(n *yaml.Node, path string) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, invalid("%s (line %d): %v", where(path), n.Line, err)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil || i < math.MinInt || i > math.MaxInt {
			return nil, invalid("%s (line %d): %s is not an integer Updraft can hold", where(path), n.Line, n.Value)
		}
		return int(i), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, invalid("%s (line %d): %v", where(path), n.Line, err)
		}
		return f, nil
	case "!!str", "!!timestamp", "!!binary":
		return n.Value, nil
	}
	return nil, invalid("%s (line %d): YAML tag %s is not supported", where(path), n.Line, n.Tag)
}

// fromTagged turns !Ref X into {"Ref": X} and so on.
func fromTagged(n *yaml.Node, path string) (any, error) {
	long, ok := shortForms[n.Tag]
	if !ok {
		return nil, invalid("%s (line %d): %s is not a CloudFormation intrinsic function", where(path), n.Line, n.Tag)
	}
	if want, ok := tagShape[n.Tag]; ok && n.Kind != want {
		return nil, invalid("%s (line %d): %s takes %s, not %s", where(path), n.Line, n.Tag, nodeKind(want), nodeKind(n.Kind))
	}
	inner := *n
	inner.Tag = ""
	if n.Kind == yaml.ScalarNode {
		inner.Tag = "!!str"
	}
	v, err := fromNode(&inner, join(path, long))
	if err != nil {
		return nil, err
	}
	switch n.Tag {
	case "!GetAtt":
		switch x := v.(type) {
		case string:
			res, attr, ok := strings.Cut(x, ".")
			if !ok || res == "" || attr == "" {
				return nil, invalid("%s (line %d): !GetAtt %q must be Resource.Attribute", where(path), n.Line, x)
			}
			v = []any{res, attr}
		case []any:
		default:
			return nil, invalid("%s (line %d): !GetAtt takes Resource.Attribute or a list, not %s", where(path), n.Line, kindOf(v))
		}
	case "!Sub":
		if _, ok := v.(map[string]any); ok {
			return nil, invalid("%s (line %d): !Sub takes a string or a list [string, variables], not a mapping", where(path), n.Line)
		}
	}
	return map[string]any{long: v}, nil
}

// formatNumber is a number's text as a parameter or a string join takes it.
func formatNumber(v any) (string, bool) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
