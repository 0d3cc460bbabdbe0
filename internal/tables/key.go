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

// canonicalNumber checks s is a DynamoDB number (up to 38 significant
// digits, magnitude 1E-130 to 1E+126) and returns it in one canonical
// decimal form: no exponent, no leading or trailing zeros, "-" only when
// negative.
func canonicalNumber(s string) (string, error) {
	bad := func() (string, error) {
		return "", validation("A value provided cannot be converted into a number: %q", s)
	}
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	mant, expStr, hasExp := strings.Cut(strings.ToLower(t), "e")
	exp := 0
	if hasExp {
		e, ok := atoi(expStr)
		if !ok {
			return bad()
		}
		exp = e
	}
	ip, fp, _ := strings.Cut(mant, ".")
	if ip == "" && fp == "" {
		return bad()
	}
	digits := ip + fp
	for _, c := range digits {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	exp -= len(fp)
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", nil
	}
	for strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		exp++
	}
	if len(digits) > 38 {
		return "", validation("Attempting to store more than 38 significant digits in a Number: %q", s)
	}
	mag := len(digits) + exp // the value is 0.DIGITS × 10^mag
	if mag > 126 {
		return "", validation("Number overflow. Attempting to store a number with magnitude larger than supported range: %q", s)
	}
	if mag < -129 {
		return "", validation("Number underflow. Attempting to store a number with magnitude smaller than supported range: %q", s)
	}
	var out string
	switch {
	case exp >= 0:
		out = digits + strings.Repeat("0", exp)
	case -exp < len(digits):
		out = digits[:len(digits)+exp] + "." + digits[len(digits)+exp:]
	default:
		out = "0." + strings.Repeat("0", -exp-len(digits)) + digits
	}
	if neg {
		out = "-" + out
	}
	return out, nil
}

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
