package expr

import (
	"encoding/json"
	"testing"
)

func TestProjection(t *testing.T) {
	it := item(t, `{
		"id": {"S": "u1"}, "n": {"N": "1"}, "status": {"S": "on"},
		"l": {"L": [{"S": "a"}, {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, {"S": "c"}, {"S": "d"}]},
		"m": {"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "deep"}, "d": {"S": "other"}}}, "e": {"L": [{"N": "5"}, {"N": "6"}]}}}
	}`)
	for _, c := range []struct{ expr, want string }{
		{"id", `{"id":{"S":"u1"}}`},
		{"id, n", `{"id":{"S":"u1"},"n":{"N":"1"}}`},
		{"id, nope", `{"id":{"S":"u1"}}`},
		{"nope", `{}`},
		{"#s", `{"status":{"S":"on"}}`},
		{"m.a", `{"m":{"M":{"a":{"N":"1"}}}}`},
		{"m.b.c, m.a", `{"m":{"M":{"a":{"N":"1"},"b":{"M":{"c":{"S":"deep"}}}}}}`},
		{"l[2]", `{"l":{"L":[{"S":"c"}]}}`},
		{"l[3], l[0]", `{"l":{"L":[{"S":"a"},{"S":"d"}]}}`},
		{"l[1].y", `{"l":{"L":[{"M":{"y":{"N":"2"}}}]}}`},
		{"l[9], m.e[1], m.nope", `{"m":{"M":{"e":{"L":[{"N":"6"}]}}}}`},
		{"n[0], m.a.b", `{}`},
	} {
		p, err := ParseProjection(c.expr, Names{"#s": "status"})
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got, _ := json.Marshal(p.Apply(it))
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.expr, got, c.want)
		}
	}
	p, _ := ParseProjection("id", nil)
	if p.Apply(nil) != nil {
		t.Error("projection of no item")
	}
}

func TestProjectionErrors(t *testing.T) {
	for _, c := range []struct{ expr, msg string }{
		{"", "Invalid ProjectionExpression: The expression can not be empty;"},
		{"a,", `Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","`},
		{"a b", `Syntax error; token: "b"`},
		{"!!", `Syntax error; token: "!", near: "!!"`},
		{":v", `Syntax error; token: ":v"`},
		{"a, a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"a.b, a", "path one: [a, b], path two: [a]"},
		{"a[0], a.b", "Two document paths conflict with each other"},
		{"name", "Attribute name is a reserved keyword; reserved keyword: name"},
		{"#x", "An expression attribute name used in the document path is not defined; attribute name: #x"},
	} {
		_, err := ParseProjection(c.expr, nil)
		wantErr(t, c.expr, err, c.msg)
	}
}
