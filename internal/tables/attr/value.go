package attr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Value is one DynamoDB attribute value. Exactly one of its fields is set
// (NULL counts as set when true); the zero Value is invalid. N and NS hold
// numbers as decimal strings, as DynamoDB's JSON carries them.
type Value struct {
	S    *string          `json:"S,omitempty"`
	N    *string          `json:"N,omitempty"`
	B    []byte           `json:"B,omitempty"`
	BOOL *bool            `json:"BOOL,omitempty"`
	NULL bool             `json:"NULL,omitempty"`
	M    map[string]Value `json:"M,omitempty"`
	L    []Value          `json:"L,omitempty"`
	SS   []string         `json:"SS,omitempty"`
	NS   []string         `json:"NS,omitempty"`
	BS   [][]byte         `json:"BS,omitempty"`

	// present distinguishes an empty M or L ({"M": {}}, {"L": []}) from an
	// unset field; set by UnmarshalJSON and the constructors.
	emptyM, emptyL bool
}

// Item is a whole item (or a key): attribute name → value.
type Item map[string]Value

// Type names the value's type: "S", "N", "B", "BOOL", "NULL", "M", "L",
// "SS", "NS", "BS", or "" for the invalid zero Value.
func (v Value) Type() string {
	switch {
	case v.S != nil:
		return "S"
	case v.N != nil:
		return "N"
	case v.B != nil:
		return "B"
	case v.BOOL != nil:
		return "BOOL"
	case v.NULL:
		return "NULL"
	case v.M != nil || v.emptyM:
		return "M"
	case v.L != nil || v.emptyL:
		return "L"
	case v.SS != nil:
		return "SS"
	case v.NS != nil:
		return "NS"
	case v.BS != nil:
		return "BS"
	}
	return ""
}

// Str, Num, Bin, Bool, Null, Map and List build values.
func Str(s string) Value           { return Value{S: &s} }
func Num(n string) Value           { return Value{N: &n} }
func Bin(b []byte) Value           { return Value{B: nonNil(b)} }
func Bool(b bool) Value            { return Value{BOOL: &b} }
func Null() Value                  { return Value{NULL: true} }
func Map(m map[string]Value) Value { return Value{M: m, emptyM: len(m) == 0} }
func List(l []Value) Value         { return Value{L: l, emptyL: len(l) == 0} }

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// MarshalJSON writes DynamoDB JSON: one key naming the type.
func (v Value) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"`)
	t := v.Type()
	if t == "" {
		return nil, errors.New("attr: cannot encode an empty attribute value")
	}
	buf.WriteString(t)
	buf.WriteString(`":`)
	var inner any
	switch t {
	case "S":
		inner = *v.S
	case "N":
		inner = *v.N
	case "B":
		inner = v.B
	case "BOOL":
		inner = *v.BOOL
	case "NULL":
		inner = true
	case "M":
		m := v.M
		if m == nil {
			m = map[string]Value{}
		}
		inner = m
	case "L":
		l := v.L
		if l == nil {
			l = []Value{}
		}
		inner = l
	case "SS":
		inner = v.SS
	case "NS":
		inner = v.NS
	case "BS":
		inner = v.BS
	}
	b, err := json.Marshal(inner)
	if err != nil {
		return nil, err
	}
	buf.Write(b)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads DynamoDB JSON. It checks the shape only (one type
// key); Validate checks the content (valid numbers, non-empty sets, …).
func (v *Value) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("an attribute value must be an object like {\"S\": \"text\"}: %w", err)
	}
	if len(raw) != 1 {
		return fmt.Errorf("an attribute value must have exactly one type key (S, N, B, BOOL, NULL, M, L, SS, NS, BS), not %d", len(raw))
	}
	*v = Value{}
	for t, r := range raw {
		var err error
		switch t {
		case "S":
			var s string
			err = json.Unmarshal(r, &s)
			v.S = &s
		case "N":
			var s string
			err = json.Unmarshal(r, &s)
			v.N = &s
		case "B":
			err = json.Unmarshal(r, &v.B)
			v.B = nonNil(v.B)
		case "BOOL":
			var b bool
			err = json.Unmarshal(r, &b)
			v.BOOL = &b
		case "NULL":
			var b bool
			err = json.Unmarshal(r, &b)
			if err == nil && !b {
				err = errors.New("NULL must be true")
			}
			v.NULL = true
		case "M":
			err = json.Unmarshal(r, &v.M)
			v.emptyM = len(v.M) == 0
			if v.M == nil {
				v.M = map[string]Value{}
			}
		case "L":
			err = json.Unmarshal(r, &v.L)
			v.emptyL = len(v.L) == 0
			if v.L == nil {
				v.L = []Value{}
			}
		case "SS":
			err = json.Unmarshal(r, &v.SS)
		case "NS":
			err = json.Unmarshal(r, &v.NS)
		case "BS":
			err = json.Unmarshal(r, &v.BS)
		default:
			return fmt.Errorf("unknown attribute value type %q: use one of S, N, B, BOOL, NULL, M, L, SS, NS, BS", t)
		}
		if err != nil {
			return fmt.Errorf("attribute value of type %s: %w", t, err)
		}
	}
	return nil
}
