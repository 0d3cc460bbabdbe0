package attr

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

func TestKeyOrder(t *testing.T) {
	nums := []string{
		"-9.9999999999999999999999999999999999999E+125", "-1E+20", "-100", "-99.99", "-12", "-11.5", "-11",
		"-1.01", "-1", "-0.5", "-0.12345", "-0.1234", "-0.123", "-0.12", "-1E-130",
		"0", "1E-130", "0.000001", "0.12", "0.123", "1", "1." + strings.Repeat("0", 36) + "1",
		"2", "10", "10.5", "11", "99", "100", "1E+20", "12345678901234567890123456789012345678",
		"9.9999999999999999999999999999999999999E+125",
	}
	checkOrder(t, "N", func(i int) Value { return Num(nums[i]) }, len(nums))
	strs := []string{"", "A", "Z", "a", "a\x00", "aa", "ab", "b", "é", "日本"}
	checkOrder(t, "S", func(i int) Value { return Str(strs[i]) }, len(strs))
	bins := [][]byte{{}, {0}, {0, 0}, {0, 1}, {1}, {0xFF}, {0xFF, 0}}
	checkOrder(t, "B", func(i int) Value { return Bin(bins[i]) }, len(bins))

	a, _ := KeyBytes(Num("1.50"))
	b, _ := KeyBytes(Num("015e-1"))
	if !bytes.Equal(a, b) {
		t.Errorf("1.50 and 015e-1 encode differently: % x, % x", a, b)
	}
	if _, err := KeyBytes(Bool(true)); err == nil {
		t.Error("BOOL key accepted")
	}
	if _, err := KeyBytes(Num("x")); err == nil {
		t.Error("bad number key accepted")
	}
	for _, bad := range [][]byte{nil, {0x03}, {0x03, 0x80, 0x01}, {0x03, 0x80, 0x01, 0xB0}, {0x01, 0x7F, 0xFE, 0xDD}, {0x09, 0, 0, 0x20}} {
		if v, err := DecodeKey("N", bad); err == nil {
			t.Errorf("DecodeKey(% x) = %v", bad, *v.N)
		}
	}
	if _, err := DecodeKey("BOOL", nil); err == nil {
		t.Error("DecodeKey BOOL accepted")
	}
}

// checkOrder checks that KeyBytes sorts the (ascending) values as Compare
// does and that DecodeKey inverts it.
func checkOrder(t *testing.T, typ string, at func(int) Value, n int) {
	t.Helper()
	keys := make([][]byte, n)
	for i := range n {
		k, err := KeyBytes(at(i))
		if err != nil {
			t.Fatalf("%s %d: %v", typ, i, err)
		}
		keys[i] = k
		back, err := DecodeKey(typ, k)
		if err != nil || !Equal(back, at(i)) {
			t.Errorf("%s: DecodeKey(KeyBytes(%+v)) = %+v, %v", typ, at(i), back, err)
		}
		if typ == "N" {
			want, _ := CanonicalNumber(*at(i).N)
			if *back.N != want {
				t.Errorf("DecodeKey gave %q, want canonical %q", *back.N, want)
			}
		}
	}
	for i := range n {
		for j := range n {
			c, _ := Compare(at(i), at(j))
			if got := bytes.Compare(keys[i], keys[j]); got != c || c != cmpInt(i, j) {
				t.Errorf("%s: keys %d vs %d compare %d, values %d", typ, i, j, got, c)
			}
		}
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestSafeToken(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var ins [][]byte
	for range 500 {
		b := make([]byte, r.Intn(8))
		for i := range b {
			b[i] = byte(r.Intn(4)) * 85 // 0, 85, 170, 255: many shared prefixes
		}
		ins = append(ins, b)
	}
	ins = append(ins, []byte{}, []byte{0}, []byte{0xFF, 0xFF, 0xFF})
	for _, b := range ins {
		tok := SafeToken(b)
		for _, c := range tok {
			if !strings.ContainsRune(tokenAlphabet, c) {
				t.Fatalf("SafeToken(% x) = %q has %q", b, tok, c)
			}
		}
		back, err := ParseSafeToken(tok)
		if err != nil || !bytes.Equal(back, b) {
			t.Errorf("ParseSafeToken(SafeToken(% x)) = % x, %v", b, back, err)
		}
	}
	if !isSortedAlphabet() {
		t.Fatal("alphabet not in ASCII order")
	}
	for i := range ins {
		for j := range ins {
			if got, want := strings.Compare(SafeToken(ins[i]), SafeToken(ins[j])), bytes.Compare(ins[i], ins[j]); got != want {
				t.Fatalf("order of % x vs % x: tokens %d, bytes %d", ins[i], ins[j], got, want)
			}
		}
	}
	for _, bad := range []string{"a.b", "a", "-0", "*"} {
		if _, err := ParseSafeToken(bad); err == nil {
			t.Errorf("ParseSafeToken(%q) accepted", bad)
		}
	}
}

func isSortedAlphabet() bool {
	for i := 1; i < len(tokenAlphabet); i++ {
		if tokenAlphabet[i-1] >= tokenAlphabet[i] {
			return false
		}
	}
	return len(tokenAlphabet) == 64
}
