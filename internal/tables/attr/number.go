package attr

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/updraft-dev/updraft/internal/fn"
)

// DynamoDB's number limits: 38 significant digits, magnitudes from 1E-130
// up to (but not including) 1E+126.
const (
	maxDigits = 38
	maxExp    = 126  // 0.d × 10^126 is the largest magnitude class allowed
	minExp    = -129 // 0.d × 10^-129 = d × 10^-130
)

// num is a parsed decimal: value = sign × 0.digits × 10^exp, with digits
// free of leading and trailing zeros. Zero has empty digits.
type num struct {
	neg    bool
	digits string
	exp    int
}

func errNotNumber() error {
	return fn.Validation("A value provided cannot be converted into a number")
}

// parseNum parses DynamoDB number text ("-1.5e3", "01.50", ".5") and checks
// DynamoDB's precision and range.
func parseNum(s string) (num, error) {
	var n num
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		n.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[start:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return num{}, errNotNumber()
	}
	e := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		es := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ds := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if ds == i {
			return num{}, errNotNumber()
		}
		v, err := strconv.Atoi(s[es:i])
		if err != nil || v > 1e6 || v < -1e6 {
			v = 1_000_000 // far outside the range either way; sign below
			if s[es] == '-' {
				v = -v
			}
		}
		e = v
	}
	if i != len(s) {
		return num{}, errNotNumber()
	}
	digits := intPart + frac
	point := len(intPart) + e
	trimmed := strings.TrimLeft(digits, "0")
	point -= len(digits) - len(trimmed)
	trimmed = strings.TrimRight(trimmed, "0")
	if trimmed == "" {
		return num{}, nil // zero, in any spelling
	}
	n.digits, n.exp = trimmed, point
	if n.exp > maxExp {
		return num{}, fn.Validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	if n.exp < minExp {
		return num{}, fn.Validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	if len(n.digits) > maxDigits {
		return num{}, fn.Validation("Attempting to store more than 38 significant digits in a Number")
	}
	return n, nil
}

// String writes the number in plain decimal notation without an exponent,
// leading or trailing zeros: "1.5", "-0.001", "100".
func (n num) String() string {
	if n.digits == "" {
		return "0"
	}
	var b strings.Builder
	if n.neg {
		b.WriteByte('-')
	}
	switch {
	case n.exp <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n.exp))
		b.WriteString(n.digits)
	case n.exp >= len(n.digits):
		b.WriteString(n.digits)
		b.WriteString(strings.Repeat("0", n.exp-len(n.digits)))
	default:
		b.WriteString(n.digits[:n.exp])
		b.WriteByte('.')
		b.WriteString(n.digits[n.exp:])
	}
	return b.String()
}

// cmp compares two numbers by value.
func (n num) cmp(m num) int {
	ns, ms := n.sign(), m.sign()
	if ns != ms {
		if ns < ms {
			return -1
		}
		return 1
	}
	c := n.cmpAbs(m)
	if ns < 0 {
		return -c
	}
	return c
}

func (n num) sign() int {
	switch {
	case n.digits == "":
		return 0
	case n.neg:
		return -1
	}
	return 1
}

func (n num) cmpAbs(m num) int {
	if n.exp != m.exp {
		if n.exp < m.exp {
			return -1
		}
		return 1
	}
	return strings.Compare(n.digits, m.digits)
}

// CanonicalNumber returns the canonical text of a DynamoDB number: "1.50",
// "01.5" and "15E-1" are all "1.5". It fails with DynamoDB's
// ValidationException for text that is not a number or is out of range.
func CanonicalNumber(s string) (string, error) {
	n, err := parseNum(s)
	if err != nil {
		return "", err
	}
	return n.String(), nil
}

// exact is wide enough for any sum of two in-range numbers (256 digits).
var exact = apd.Context{Precision: 300, MaxExponent: apd.MaxExponent, MinExponent: apd.MinExponent, Traps: apd.DefaultTraps}

// Add returns a + b for two N values, with DynamoDB's precision and range.
func Add(a, b Value) (Value, error) { return arith(a, b, false) }

// Sub returns a − b for two N values, with DynamoDB's precision and range.
func Sub(a, b Value) (Value, error) { return arith(a, b, true) }

func arith(a, b Value, sub bool) (Value, error) {
	if a.N == nil || b.N == nil {
		return Value{}, fn.Validation("An operand in the update expression has an incorrect data type")
	}
	x, err := decimal(*a.N)
	if err != nil {
		return Value{}, err
	}
	y, err := decimal(*b.N)
	if err != nil {
		return Value{}, err
	}
	var z apd.Decimal
	if sub {
		_, err = exact.Sub(&z, x, y)
	} else {
		_, err = exact.Add(&z, x, y)
	}
	if err != nil {
		return Value{}, fn.Validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	n, err := parseNum(z.Text('E'))
	if err != nil {
		return Value{}, err
	}
	return Num(n.String()), nil
}

func decimal(s string) (*apd.Decimal, error) {
	n, err := parseNum(s)
	if err != nil {
		return nil, err
	}
	if n.digits == "" {
		return apd.New(0, 0), nil
	}
	sign := ""
	if n.neg {
		sign = "-"
	}
	d, _, err := apd.NewFromString(sign + "0." + n.digits + "E" + strconv.Itoa(n.exp))
	if err != nil {
		return nil, errNotNumber()
	}
	return d, nil
}
