package stack

import (
	"strings"
)

// mergeGlobals returns resource id's properties with the Globals section of
// its type merged in as SAM does: mappings merge key by key, lists are
// concatenated (global first), and for a scalar, an intrinsic or two
// values of different shapes the resource's own value wins.
// IgnoreGlobals ("*" or a list of property names) leaves globals out.
func mergeGlobals(t *Template, id string, r TemplateResource) (map[string]any, error) {
	section, ok := strings.CutPrefix(r.Type, "AWS::Serverless::")
	g := t.Globals[section]
	if !ok || len(g) == 0 {
		return r.Properties, nil
	}
	g = copyMap(g)
	switch ig := r.IgnoreGlobals.(type) {
	case nil:
	case string:
		if ig != "*" {
			return nil, invalid("Resource %s, IgnoreGlobals: must be \"*\" or a list of Globals properties, not %q", id, ig)
		}
		return r.Properties, nil
	case []any:
		for _, e := range ig {
			k, ok := e.(string)
			if _, present := g[k]; !ok || !present {
				return nil, invalid("Resource %s, IgnoreGlobals: %v is not a property Globals.%s sets", id, e, section)
			}
			delete(g, k)
		}
	default:
		return nil, invalid("Resource %s, IgnoreGlobals: must be \"*\" or a list of Globals properties", id)
	}
	local := r.Properties
	if local == nil {
		local = map[string]any{}
	}
	return mergeValue(g, local).(map[string]any), nil
}

func mergeValue(global, local any) any {
	gm, gok := global.(map[string]any)
	lm, lok := local.(map[string]any)
	if gok && lok && !isIntrinsic(gm) && !isIntrinsic(lm) {
		out := copyMap(gm)
		for k, v := range lm {
			if gv, ok := out[k]; ok {
				out[k] = mergeValue(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	}
	gl, gok := global.([]any)
	ll, lok := local.([]any)
	if gok && lok {
		return append(append([]any{}, gl...), ll...)
	}
	return local
}

// isIntrinsic reports whether m is an intrinsic function call: one key,
// Ref, Condition or Fn::*.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
