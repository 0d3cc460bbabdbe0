package attr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{`{"S":""}`, ""}, {`{"N":"1.5e3"}`, ""}, {`{"B":""}`, ""}, {`{"BOOL":true}`, ""}, {`{"NULL":true}`, ""},
		{`{"M":{}}`, ""}, {`{"L":[]}`, ""}, {`{"SS":["a","b"]}`, ""}, {`{"NS":["1","2"]}`, ""}, {`{"BS":["AQ==","Ag=="]}`, ""},
		{`{"M":{"a":{"L":[{"N":"1"},{"M":{"b":{"SS":["x"]}}}]}}}`, ""},
		{`{"N":"x"}`, "cannot be converted into a number"},
		{`{"N":"1E+126"}`, "Number overflow"},
		{`{"N":"1234567890123456789012345678901234567890"}`, "more than 38 significant digits"},
		{`{"SS":[]}`, "One or more parameter values were invalid: An string set  may not be empty"},
		{`{"NS":[]}`, "One or more parameter values were invalid: An number set  may not be empty"},
		{`{"BS":[]}`, "One or more parameter values were invalid: Binary sets should not be empty"},
		{`{"SS":["a","a"]}`, "Input collection [a, a] contains duplicates."},
		{`{"NS":["1","1.0"]}`, "Input collection [1, 1.0] contains duplicates."},
		{`{"NS":["1","y"]}`, "cannot be converted into a number"},
		{`{"BS":["AQ==","AQ=="]}`, "contains duplicates"},
		{`{"M":{"a":{"M":{"b":{"N":"z"}}}}}`, "cannot be converted into a number"},
		{`{"L":[{"S":"x"},{"SS":[]}]}`, "may not be empty"},
	} {
		var v Value
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		err := v.Validate()
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.msg != "" && (err == nil || !strings.Contains(err.Error(), c.msg)):
			t.Errorf("%s: %v, want %q", c.in, err, c.msg)
		}
	}
	s, n := "a", "1"
	if err := (Value{}).Validate(); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("zero value: %v", err)
	}
	if err := (Value{S: &s, N: &n}).Validate(); err == nil || !strings.Contains(err.Error(), "more than one datatypes") {
		t.Errorf("two types: %v", err)
	}
	if err := (Item{"a": Str("x"), "b": Num("2")}).Validate(); err != nil {
		t.Errorf("item: %v", err)
	}
	if err := (Item{"a": Num("bad")}).Validate(); err == nil {
		t.Error("item with a bad number accepted")
	}
	if err := (Item{"": Str("x")}).Validate(); err == nil {
		t.Error("item with an empty name accepted")
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want int
	}{
		{Str("héllo"), 6}, {Str(""), 0}, {Bin([]byte{1, 2, 3}), 3}, {Bool(true), 1}, {Null(), 1},
		{Num("0"), 1}, {Num("1"), 2}, {Num("12"), 2}, {Num("123"), 3}, {Num("1.50"), 2}, {Num("-12345"), 4},
		{Map(nil), 3}, {List(nil), 3},
		{Map(map[string]Value{"ab": Str("xyz")}), 3 + 2 + 3 + 1},
		{List([]Value{Str("a"), Num("1")}), 3 + 1 + 1 + 2 + 1},
		{Value{SS: []string{"a", "bc"}}, 3}, {Value{NS: []string{"1", "123"}}, 5}, {Value{BS: [][]byte{{1}, {2, 3}}}, 3},
	} {
		if got := Size(c.v); got != c.want {
			b, _ := json.Marshal(c.v)
			t.Errorf("Size(%s) = %d, want %d", b, got, c.want)
		}
	}
	if got := ItemSize(Item{"id": Str("abc"), "n": Num("12")}); got != 2+3+1+2 {
		t.Errorf("ItemSize = %d", got)
	}
}
