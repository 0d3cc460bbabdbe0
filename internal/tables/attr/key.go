package attr

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Sign bytes of the number key encoding.
const (
	keyNeg  = 0x01
	keyZero = 0x02
	keyPos  = 0x03
)

// KeyBytes encodes a key value (S, N or B) so that bytes.Compare on two
// encodings of the same type agrees with Compare: S and B are their bytes;
// N is a sign byte, the decimal exponent (2 bytes) and the significant
// digits packed two per byte (digit+1 per nibble, 0 pads), all inverted
// for negative numbers and closed by 0xFF. Numbers equal in value (1, 1.0)
// encode the same.
func KeyBytes(v Value) ([]byte, error) {
	switch v.Type() {
	case "S":
		return []byte(*v.S), nil
	case "B":
		return append([]byte{}, v.B...), nil
	case "N":
		n, err := parseNum(*v.N)
		if err != nil {
			return nil, err
		}
		return numKey(n), nil
	}
	return nil, fmt.Errorf("attr: a key value must be of type S, N or B, not %q", v.Type())
}

func numKey(n num) []byte {
	if n.digits == "" {
		return []byte{keyZero}
	}
	b := make([]byte, 3, 3+(len(n.digits)+1)/2+1)
	b[0] = keyPos
	binary.BigEndian.PutUint16(b[1:], uint16(n.exp+0x8000))
	for i := 0; i < len(n.digits); i += 2 {
		hi := n.digits[i] - '0' + 1
		var lo byte
		if i+1 < len(n.digits) {
			lo = n.digits[i+1] - '0' + 1
		}
		b = append(b, hi<<4|lo)
	}
	if n.neg {
		b[0] = keyNeg
		for i := 1; i < len(b); i++ {
			b[i] = ^b[i]
		}
		b = append(b, 0xFF)
	}
	return b
}

// DecodeKey is the inverse of KeyBytes for a value of type typ (S, N or
// B). Numbers come back in canonical form.
func DecodeKey(typ string, b []byte) (Value, error) {
	switch typ {
	case "S":
		return Str(string(b)), nil
	case "B":
		return Bin(append([]byte{}, b...)), nil
	case "N":
		n, err := decodeNumKey(b)
		if err != nil {
			return Value{}, err
		}
		return Num(n.String()), nil
	}
	return Value{}, fmt.Errorf("attr: a key value must be of type S, N or B, not %q", typ)
}

func decodeNumKey(b []byte) (num, error) {
	bad := fmt.Errorf("attr: malformed number key % x", b)
	if len(b) == 1 && b[0] == keyZero {
		return num{}, nil
	}
	if len(b) < 4 || (b[0] != keyPos && b[0] != keyNeg) {
		return num{}, bad
	}
	body := append([]byte{}, b[1:]...)
	n := num{neg: b[0] == keyNeg}
	if n.neg {
		if body[len(body)-1] != 0xFF {
			return num{}, bad
		}
		body = body[:len(body)-1]
		for i := range body {
			body[i] = ^body[i]
		}
	}
	n.exp = int(binary.BigEndian.Uint16(body)) - 0x8000
	var digits strings.Builder
	for i, c := range body[2:] {
		for j, d := range []byte{c >> 4, c & 0x0F} {
			switch {
			case d >= 1 && d <= 10:
				digits.WriteByte('0' + d - 1)
			case d == 0 && j == 1 && i == len(body)-3:
			default:
				return num{}, bad
			}
		}
	}
	n.digits = digits.String()
	if n.digits == "" {
		return num{}, bad
	}
	return n, nil
}

// tokenAlphabet is 64 characters in ascending ASCII order, all allowed in
// a NATS subject token.
const tokenAlphabet = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// SafeToken encodes bytes as a string of [A-Za-z0-9_-] (base64 bits over
// an alphabet in ASCII order, no padding) that sorts as the bytes do:
// strings.Compare(SafeToken(a), SafeToken(b)) == bytes.Compare(a, b). The
// store uses it in NATS subjects. Empty input gives "", which is not a
// valid subject token: key values are never empty.
func SafeToken(b []byte) string {
	out := make([]byte, 0, (len(b)*8+5)/6)
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 6 {
			bits -= 6
			out = append(out, tokenAlphabet[(acc>>bits)&0x3F])
		}
	}
	if bits > 0 {
		out = append(out, tokenAlphabet[(acc<<(6-bits))&0x3F])
	}
	return string(out)
}

// ParseSafeToken is the inverse of SafeToken.
func ParseSafeToken(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)*6/8)
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(tokenAlphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("attr: %q is not a safe token: character %q", s, s[i])
		}
		acc = acc<<6 | uint32(d)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 6 || acc&(1<<bits-1) != 0 {
		return nil, fmt.Errorf("attr: %q is not a safe token: bad length or trailing bits", s)
	}
	return out, nil
}
