package attr

import "testing"

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		a, b Value
		want int
		ok   bool
	}{
		{Str("a"), Str("b"), -1, true}, {Str("b"), Str("a"), 1, true}, {Str("a"), Str("a"), 0, true},
		{Str("Z"), Str("a"), -1, true}, {Str("a"), Str("ab"), -1, true}, {Str("é"), Str("z"), 1, true},
		{Num("1"), Num("1.0"), 0, true}, {Num("2"), Num("10"), -1, true}, {Num("-2"), Num("-10"), 1, true},
		{Num("-1"), Num("0"), -1, true}, {Num("0"), Num("0.0001"), -1, true}, {Num("1e2"), Num("99.999"), 1, true},
		{Num("12345678901234567890123456789012345678"), Num("12345678901234567890123456789012345677"), 1, true},
		{Num("1E+125"), Num("1E-130"), 1, true}, {Num("-1E-130"), Num("0"), -1, true},
		{Bin([]byte{1}), Bin([]byte{1, 0}), -1, true}, {Bin([]byte{2}), Bin([]byte{1, 9}), 1, true},
		{Str("1"), Num("1"), 0, false}, {Bool(true), Bool(true), 0, false}, {Null(), Null(), 0, false},
		{Num("x"), Num("1"), 0, false},
	} {
		got, ok := Compare(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("Compare(%v, %v) = %d, %v; want %d, %v", c.a.Type(), c.b.Type(), got, ok, c.want, c.ok)
		}
	}
}

func TestEqual(t *testing.T) {
	m := func(kv ...any) Value {
		mm := map[string]Value{}
		for i := 0; i < len(kv); i += 2 {
			mm[kv[i].(string)] = kv[i+1].(Value)
		}
		return Map(mm)
	}
	for _, c := range []struct {
		a, b Value
		want bool
	}{
		{Num("1"), Num("1.00"), true}, {Num("1"), Num("2"), false}, {Num("1"), Str("1"), false},
		{Str("a"), Str("a"), true}, {Bin([]byte("a")), Bin([]byte("a")), true}, {Bool(true), Bool(false), false},
		{Null(), Null(), true}, {Map(nil), Map(map[string]Value{}), true}, {List(nil), List([]Value{}), true},
		{Map(nil), List(nil), false},
		{m("a", Num("1"), "b", List([]Value{Str("x")})), m("b", List([]Value{Str("x")}), "a", Num("1.0")), true},
		{m("a", Num("1")), m("a", Num("1"), "b", Null()), false},
		{m("a", Num("1")), m("b", Num("1")), false},
		{List([]Value{Num("1"), Num("2")}), List([]Value{Num("2"), Num("1")}), false},
		{Value{SS: []string{"a", "b"}}, Value{SS: []string{"b", "a"}}, true},
		{Value{SS: []string{"a", "b"}}, Value{SS: []string{"a"}}, false},
		{Value{NS: []string{"1", "2.0"}}, Value{NS: []string{"2", "1.00"}}, true},
		{Value{NS: []string{"1"}}, Value{SS: []string{"1"}}, false},
		{Value{BS: [][]byte{{1}, {2}}}, Value{BS: [][]byte{{2}, {1}}}, true},
	} {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%+v, %+v) = %v", c.a, c.b, got)
		}
	}
}

func TestSetHelpers(t *testing.T) {
	ns := Value{NS: []string{"1", "2.5"}}
	if !Contains(ns, Num("2.50")) || Contains(ns, Num("3")) || Contains(ns, Str("1")) {
		t.Error("Contains on NS")
	}
	s := SetOf("N", ns.SetElems())
	if !Equal(s, ns) {
		t.Errorf("SetOf(SetElems) = %+v", s)
	}
	if Str("x").SetElems() != nil {
		t.Error("SetElems of a scalar")
	}
}
