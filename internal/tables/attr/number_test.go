package attr

import (
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestCanonicalNumber(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1.50", "1.5"}, {"01.5", "1.5"}, {"15E-1", "1.5"}, {"+1.5", "1.5"},
		{"0", "0"}, {"-0", "0"}, {"0.000", "0"}, {"00", "0"}, {"0e10", "0"},
		{"100", "100"}, {"1e2", "100"}, {"1E+2", "100"}, {".5", "0.5"}, {"5.", "5"},
		{"-0.001", "-0.001"}, {"-1.2300e-2", "-0.0123"},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
		{"1E-130", "0." + strings.Repeat("0", 129) + "1"},
		{"9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + strings.Repeat("0", 88)},
		{"-9.9999999999999999999999999999999999999E+125", "-99999999999999999999999999999999999999" + strings.Repeat("0", 88)},
	} {
		got, err := CanonicalNumber(c.in)
		if err != nil || got != c.want {
			t.Errorf("CanonicalNumber(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"", "cannot be converted"}, {"abc", "cannot be converted"}, {"1.2.3", "cannot be converted"},
		{"NaN", "cannot be converted"}, {"Infinity", "cannot be converted"}, {"1e", "cannot be converted"},
		{" 1", "cannot be converted"}, {"--1", "cannot be converted"}, {".", "cannot be converted"}, {"0x10", "cannot be converted"},
		{"123456789012345678901234567890123456789", "more than 38 significant digits"},
		{"1E+126", "Number overflow"}, {"-1E+126", "Number overflow"}, {"1e99999999999999999999", "Number overflow"},
		{"1E-131", "Number underflow"}, {"1e-99999999999999999999", "Number underflow"},
	} {
		_, err := CanonicalNumber(c.in)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("CanonicalNumber(%q): %v, want %q", c.in, err, c.msg)
			continue
		}
		if e := fn.AsError(err); e.Status != 400 || e.Type != fn.TypeValidation {
			t.Errorf("CanonicalNumber(%q): %d %s", c.in, e.Status, e.Type)
		}
	}
}

func TestArithmetic(t *testing.T) {
	for _, c := range []struct{ a, b, sum, diff string }{
		{"1", "2", "3", "-1"},
		{"1.5", "1.50", "3", "0"},
		{"0.1", "0.2", "0.3", "-0.1"},
		{"99999999999999999999999999999999999999", "0", "99999999999999999999999999999999999999", "99999999999999999999999999999999999999"},
		{"12345678901234567890", "98765432109876543210", "111111111011111111100", "-86419753208641975320"},
		{"-5", "5", "0", "-10"},
		{"99999999999999999999999999999999999999", "1", "100000000000000000000000000000000000000", "99999999999999999999999999999999999998"},
	} {
		s, err := Add(Num(c.a), Num(c.b))
		if err != nil || *s.N != c.sum {
			t.Errorf("%s + %s = %v, %v; want %s", c.a, c.b, s.N, err, c.sum)
		}
		d, err := Sub(Num(c.a), Num(c.b))
		if err != nil || *d.N != c.diff {
			t.Errorf("%s - %s = %v, %v; want %s", c.a, c.b, d.N, err, c.diff)
		}
	}
	for _, c := range []struct{ a, b, msg string }{
		{"99999999999999999999999999999999999999", "0.1", "more than 38 significant digits"},
		{"1E+20", "1E-20", "more than 38 significant digits"},
		{"9.9999999999999999999999999999999999999E+125", "1E+125", "Number overflow"},
		{"x", "1", "cannot be converted"},
	} {
		if _, err := Add(Num(c.a), Num(c.b)); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s + %s: %v, want %q", c.a, c.b, err, c.msg)
		}
	}
	if _, err := Add(Str("1"), Num("1")); err == nil {
		t.Error("S + N accepted")
	}
}
