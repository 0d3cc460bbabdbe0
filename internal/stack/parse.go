package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SAMTransform is the transform a template with AWS::Serverless::*
// resources declares.
const SAMTransform = "AWS::Serverless-2016-10-31"

// Template is a parsed template: its sections as JSON-like values with the
// short forms (!Ref, !Sub, …) turned into their long forms ({"Ref": …},
// {"Fn::Sub": …}); nothing is evaluated yet (Resolve does that).
type Template struct {
	FormatVersion string
	Transforms    []string
	Description   string
	Metadata      map[string]any
	Parameters    map[string]Parameter
	Mappings      map[string]any
	Conditions    map[string]any
	// Globals are the Globals section by resource kind: "Function",
	// "Api", "HttpApi", "SimpleTable".
	Globals   map[string]map[string]any
	Resources map[string]TemplateResource
	Outputs   map[string]TemplateOutput
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Type                  string
	Default               *string // a number default is kept as its text
	AllowedValues         []string
	AllowedPattern        string
	MinLength, MaxLength  *int
	MinValue, MaxValue    *float64
	NoEcho                bool
	Description           string
	ConstraintDescription string
}

// TemplateResource is one entry of the Resources section.
type TemplateResource struct {
	Type       string
	Condition  string
	DependsOn  []any // names, or intrinsics resolving to one
	Properties map[string]any
	Metadata   map[string]any
	// IgnoreGlobals is SAM's attribute: "*" or a list of Globals
	// properties the resource does not take.
	IgnoreGlobals any
}

// TemplateOutput is one entry of the Outputs section.
type TemplateOutput struct {
	Value       any
	Description string
	Condition   string
}

// sections are the top-level keys a template may hold.
var sections = []string{"AWSTemplateFormatVersion", "Transform", "Description", "Metadata", "Parameters",
	"Mappings", "Conditions", "Globals", "Resources", "Outputs"}

// Parse reads a template in YAML or JSON. A section, resource or tag it
// does not know is refused with where it is.
func Parse(data []byte) (*Template, error) {
	doc, err := decodeDocument(data)
	if err != nil {
		return nil, err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, invalid("the template must be a mapping of sections (Resources, Parameters, …), not %s", kindOf(doc))
	}
	for _, k := range sortedKeys(top) {
		if !slices.Contains(sections, k) {
			return nil, invalid("template section %s is not one CloudFormation defines: use %s", k, strings.Join(sections, ", "))
		}
	}
	t := &Template{Parameters: map[string]Parameter{}, Globals: map[string]map[string]any{},
		Resources: map[string]TemplateResource{}, Outputs: map[string]TemplateOutput{}}
	if t.FormatVersion, err = optString(top, "AWSTemplateFormatVersion", "AWSTemplateFormatVersion"); err != nil {
		return nil, err
	}
	if t.FormatVersion != "" && t.FormatVersion != "2010-09-09" {
		return nil, invalid("AWSTemplateFormatVersion: %s is not a version CloudFormation defines: use 2010-09-09", t.FormatVersion)
	}
	if t.Description, err = optString(top, "Description", "Description"); err != nil {
		return nil, err
	}
	if t.Transforms, err = parseTransforms(top["Transform"]); err != nil {
		return nil, err
	}
	if t.Metadata, err = optMap(top, "Metadata", "Metadata"); err != nil {
		return nil, err
	}
	if t.Mappings, err = optMap(top, "Mappings", "Mappings"); err != nil {
		return nil, err
	}
	if t.Conditions, err = optMap(top, "Conditions", "Conditions"); err != nil {
		return nil, err
	}
	if err := parseParameters(t, top); err != nil {
		return nil, err
	}
	if err := parseGlobals(t, top); err != nil {
		return nil, err
	}
	if err := parseResources(t, top); err != nil {
		return nil, err
	}
	if err := parseOutputs(t, top); err != nil {
		return nil, err
	}
	return t, nil
}

// decodeDocument turns YAML or JSON text into JSON-like values.
func decodeDocument(data []byte) (any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, invalid("the template is empty")
	}
	if trimmed[0] == '{' {
		// JSON: decoded as JSON, as YAML refuses the tabs JSON may hold.
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, invalid("the template is not valid JSON: %v", err)
		}
		if dec.More() {
			return nil, invalid("the template is not valid JSON: text after the closing brace")
		}
		return fromJSON(v), nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, invalid("the template is not valid YAML: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, invalid("the template must hold one YAML document")
	}
	return fromNode(doc.Content[0], "")
}

// fromJSON turns json.Number into int or float64.
func fromJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = fromJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fromJSON(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func join(path, key string) string {
	if key == "" {
		return path
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case nil:
		return "empty"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func parseTransforms(v any) ([]string, error) {
	var list []string
	switch x := v.(type) {
	case nil:
	case string:
		list = []string{x}
	case []any:
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, invalid("Transform[%d]: must be a transform name, not %s", i, kindOf(e))
			}
			list = append(list, s)
		}
	default:
		return nil, invalid("Transform: must be a transform name or a list of them, not %s", kindOf(v))
	}
	for _, s := range list {
		if s != SAMTransform {
			return nil, invalid("Transform %s is not supported: Updraft runs only %s", s, SAMTransform)
		}
	}
	return list, nil
}

var parameterKeys = []string{"Type", "Default", "AllowedValues", "AllowedPattern", "MinLength", "MaxLength",
	"MinValue", "MaxValue", "NoEcho", "Description", "ConstraintDescription"}

func parseParameters(t *Template, top map[string]any) error {
	params, err := optMap(top, "Parameters", "Parameters")
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(params) {
		m, ok := params[name].(map[string]any)
		if !ok {
			return invalid("Parameter %s: must be a mapping with a Type, not %s", name, kindOf(params[name]))
		}
		var p Parameter
		for _, k := range sortedKeys(m) {
			v := m[k]
			at := "Parameter " + name + ", " + k
			switch k {
			case "Type", "AllowedPattern", "Description", "ConstraintDescription":
				s, ok := v.(string)
				if !ok {
					return invalid("%s: must be a string, not %s", at, kindOf(v))
				}
				switch k {
				case "Type":
					p.Type = s
				case "AllowedPattern":
					p.AllowedPattern = s
				case "Description":
					p.Description = s
				default:
					p.ConstraintDescription = s
				}
			case "Default":
				s, err := scalarText(v, at)
				if err != nil {
					return err
				}
				p.Default = &s
			case "AllowedValues":
				list, ok := v.([]any)
				if !ok {
					return invalid("%s: must be a list, not %s", at, kindOf(v))
				}
				for i, e := range list {
					s, err := scalarText(e, fmt.Sprintf("%s[%d]", at, i))
					if err != nil {
						return err
					}
					p.AllowedValues = append(p.AllowedValues, s)
				}
			case "MinLength", "MaxLength":
				n, err := intValue(v, at)
				if err != nil {
					return err
				}
				if k == "MinLength" {
					p.MinLength = &n
				} else {
					p.MaxLength = &n
				}
			case "MinValue", "MaxValue":
				f, err := floatValue(v, at)
				if err != nil {
					return err
				}
				if k == "MinValue" {
					p.MinValue = &f
				} else {
					p.MaxValue = &f
				}
			case "NoEcho":
				p.NoEcho = isTrue(v)
			default:
				return invalid("Parameter %s: %s is not a parameter property: use %s", name, k, strings.Join(parameterKeys, ", "))
			}
		}
		if p.Type == "" {
			return invalid("Parameter %s: Type is required", name)
		}
		t.Parameters[name] = p
	}
	return nil
}

// scalarText is a scalar's text: parameter values are strings.
func scalarText(v any, at string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	}
	if s, ok := formatNumber(v); ok {
		return s, nil
	}
	return "", invalid("%s: must be a string, not %s", at, kindOf(v))
}

func intValue(v any, at string) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
	}
	return 0, invalid("%s: must be an integer, not %v", at, v)
}

func floatValue(v any, at string) (float64, error) {
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, nil
		}
	}
	return 0, invalid("%s: must be a number, not %v", at, v)
}

func optString(m map[string]any, key, at string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", invalid("%s: must be a string, not %s", at, kindOf(v))
	}
	return s, nil
}

func optMap(m map[string]any, key, at string) (map[string]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return map[string]any{}, nil
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("%s: must be a mapping, not %s", at, kindOf(v))
	}
	return mm, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
