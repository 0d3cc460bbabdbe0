package tables

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"strings"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// keyPart is one key attribute's value in the forms the store needs: its
// canonical string (identity: "1.0" and "1" are the same number), its
// subject token, and what it sorts by.
type keyPart struct {
	v     attr.Value
	canon string   // type letter + ":" + canonical content
	num   *big.Rat // set for N
	raw   []byte   // S and B: the bytes DynamoDB sorts by
}

// newKeyPart checks that v is a valid key value of type typ (S, N or B).
func newKeyPart(name, typ string, v attr.Value) (keyPart, error) {
	if v.Type() != typ {
		return keyPart{}, validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, typ, v.Type())
	}
	switch typ {
	case "S":
		if *v.S == "" {
			return keyPart{}, validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
		}
		return keyPart{v: v, canon: "S:" + *v.S, raw: []byte(*v.S)}, nil
	case "B":
		if len(v.B) == 0 {
			return keyPart{}, validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
		}
		return keyPart{v: v, canon: "B:" + string(v.B), raw: v.B}, nil
	}
	c, err := canonicalNumber(*v.N)
	if err != nil {
		return keyPart{}, err
	}
	r, _ := new(big.Rat).SetString(c)
	return keyPart{v: attr.Num(c), canon: "N:" + c, num: r}, nil
}

// partFromCanon rebuilds a key part from its canonical string.
func partFromCanon(canon string) (keyPart, bool) {
	typ, rest, ok := strings.Cut(canon, ":")
	if !ok {
		return keyPart{}, false
	}
	var v attr.Value
	switch typ {
	case "S":
		v = attr.Str(rest)
	case "B":
		v = attr.Bin([]byte(rest))
	case "N":
		v = attr.Num(rest)
	default:
		return keyPart{}, false
	}
	p, err := newKeyPart("", typ, v)
	return p, err == nil
}

// token is the part as a NATS subject token.
func (p keyPart) token() string { return base64.RawURLEncoding.EncodeToString([]byte(p.canon)) }

// compare orders parts as DynamoDB orders sort keys: numbers by value,
// strings and binaries by their bytes.
func (p keyPart) compare(o keyPart) int {
	if p.num != nil && o.num != nil {
		return p.num.Cmp(o.num)
	}
	return bytes.Compare(p.raw, o.raw)
}

// canonicalNumber checks s is a DynamoDB number and returns its
// canonical form.
func canonicalNumber(s string) (string, error) { return attr.CanonicalNumber(s) }

func atoi(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
