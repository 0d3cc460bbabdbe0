package stack

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// props reads one resource's properties (or a nested mapping of them) and
// remembers which it read, so that done can refuse every property that was
// neither applied nor noted. The first problem is kept and reported; reads
// after it return zero values.
type props struct {
	id, typ string
	path    string // "" at the top, "Events.Up.Properties" below
	m       map[string]any
	used    map[string]bool
	st      *propState
}

// propState is shared by a resource's reader and its nested readers.
type propState struct {
	err   error
	notes []string
}

func newProps(id, typ string, m map[string]any) *props {
	return &props{id: id, typ: typ, m: m, used: map[string]bool{}, st: &propState{}}
}

// at is the dotted path of key under p.
func (p *props) at(key string) string {
	if p.path == "" {
		return key
	}
	return p.path + "." + key
}

// fail keeps the first problem, at property key of p ("" for p itself).
func (p *props) fail(key, format string, args ...any) {
	if p.st.err != nil {
		return
	}
	path := p.path
	if key != "" {
		path = p.at(key)
	}
	p.st.err = propError(p.id, p.typ, path, format, args...)
}

func (p *props) has(key string) bool {
	_, ok := p.m[key]
	return ok
}

// get marks key read and returns its value.
func (p *props) get(key string) (any, bool) {
	p.used[key] = true
	v, ok := p.m[key]
	return v, ok && v != nil
}

// str reads a string property (a number or boolean is written as text).
func (p *props) str(key string) string {
	v, ok := p.get(key)
	if !ok {
		return ""
	}
	s, ok := scalarString(v)
	if !ok {
		p.fail(key, "must be a string, not %s", kindOf(v))
	}
	return s
}

// oneOf reads a string property that must be one of allowed ("" when absent).
func (p *props) oneOf(key string, allowed ...string) string {
	s := p.str(key)
	if s != "" && !slices.Contains(allowed, s) {
		p.fail(key, "%q is not one of %s", s, strings.Join(allowed, ", "))
	}
	return s
}

// integer reads a whole number (a numeric string counts: parameters are strings).
func (p *props) integer(key string) *int {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var f float64
	switch n := v.(type) {
	case int:
		return &n
	case float64:
		f = n
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(n), 64); err != nil {
			p.fail(key, "%q is not a number", n)
			return nil
		}
	default:
		p.fail(key, "must be a number, not %s", kindOf(v))
		return nil
	}
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		p.fail(key, "%v is not a whole number", v)
		return nil
	}
	i := int(f)
	return &i
}

// intOr reads a whole number, def when absent.
func (p *props) intOr(key string, def int) int {
	if n := p.integer(key); n != nil {
		return *n
	}
	return def
}

// boolean reads true/false (or "true"/"false").
func (p *props) boolean(key string) *bool {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var b bool
	switch x := v.(type) {
	case bool:
		b = x
	case string:
		switch strings.ToLower(x) {
		case "true":
			b = true
		case "false":
		default:
			p.fail(key, "%q is not true or false", x)
			return nil
		}
	default:
		p.fail(key, "must be true or false, not %s", kindOf(v))
		return nil
	}
	return &b
}

// obj reads a nested mapping (nil when absent); its properties are checked
// by its own done.
func (p *props) obj(key string) *props {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(key, "must be a mapping, not %s", kindOf(v))
		return nil
	}
	return &props{id: p.id, typ: p.typ, path: p.at(key), m: m, used: map[string]bool{}, st: p.st}
}

// item is the reader of entry i of list key, a mapping.
func (p *props) item(key string, i int, v any) *props {
	m, ok := v.(map[string]any)
	path := p.at(key) + "[" + strconv.Itoa(i) + "]"
	if !ok {
		if p.st.err == nil {
			p.st.err = propError(p.id, p.typ, path, "must be a mapping, not %s", kindOf(v))
		}
		return nil
	}
	return &props{id: p.id, typ: p.typ, path: path, m: m, used: map[string]bool{}, st: p.st}
}

// list reads a list property; a single value stands for a list of one.
func (p *props) list(key string) []any {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// strings reads a list of strings (a single string counts as one).
func (p *props) strings(key string) []string {
	var out []string
	for i, v := range p.list(key) {
		s, ok := scalarString(v)
		if !ok {
			p.fail(key+"["+strconv.Itoa(i)+"]", "must be a string, not %s", kindOf(v))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// jsonText reads a property that is JSON text in the service's API: a
// mapping is encoded, a string is taken as already JSON.
func (p *props) jsonText(key string) string {
	v, ok := p.get(key)
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		if !json.Valid([]byte(s)) {
			p.fail(key, "is not valid JSON")
		}
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		p.fail(key, "cannot be encoded as JSON: %v", err)
	}
	return string(b)
}

// note accepts key, with no effect here, and says why in the resource's
// notes when the template sets it.
func (p *props) note(why string, keys ...string) {
	for _, key := range keys {
		if _, ok := p.get(key); ok {
			p.st.notes = append(p.st.notes, p.at(key)+": "+why)
		}
	}
}

// addNote records a note about p itself.
func (p *props) addNote(format string, args ...any) {
	p.st.notes = append(p.st.notes, fmtNote(p.path, format, args...))
}

// refuse rejects key when the template sets it.
func (p *props) refuse(key, format string, args ...any) {
	if _, ok := p.m[key]; ok {
		p.used[key] = true
		p.fail(key, format, args...)
	}
}

// done refuses the first property of p that was neither read nor noted.
func (p *props) done() error {
	if p == nil {
		return nil
	}
	if p.st.err == nil {
		keys := make([]string, 0, len(p.m))
		for k := range p.m {
			if !p.used[k] {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if len(keys) > 0 {
			p.fail(keys[0], "Updraft does not support this property (it takes %s here)", p.known())
		}
	}
	return p.st.err
}

// known lists the properties p read, for the refusal of an unknown one.
func (p *props) known() string {
	keys := make([]string, 0, len(p.used))
	for k := range p.used {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

func fmtNote(path, format string, args ...any) string {
	s := format
	if len(args) > 0 {
		s = fmt.Sprintf(format, args...)
	}
	if path == "" {
		return s
	}
	return path + ": " + s
}

// scalarString is a string, number or boolean as text.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
