package expr

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

const updItem = `{
	"id": {"S": "u1"}, "n": {"N": "5"}, "s": {"S": "x"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
	"bs": {"BS": ["AQ=="]}, "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
	"m": {"M": {"k": {"S": "v"}, "sb": {"M": {"z": {"N": "1"}}}, "arr": {"L": [{"S": "p"}, {"S": "q"}]}}}
}`

func TestUpdateApply(t *testing.T) {
	values := vals(t, testValues)
	names := Names{"#c": "count", "#k": "k"}
	for _, c := range []struct {
		expr string
		want string // the attributes of the result that differ from updItem ("-" marks a removed one)
	}{
		{"SET a = :one", `{"a": {"N": "1"}}`},
		{"set a = :one, b = :s", `{"a": {"N": "1"}, "b": {"S": "hello"}}`},
		{"SET n = n + :one", `{"n": {"N": "6"}}`},
		{"SET n = n - :ten", `{"n": {"N": "-5"}}`},
		{"SET n = :big + n", `{"n": {"N": "123456789012345678901234567895.123"}}`},
		{"SET a = n + n", `{"a": {"N": "10"}}`},
		{"SET #c = if_not_exists(#c, :one)", `{"count": {"N": "1"}}`},
		{"SET n = if_not_exists(n, :one)", `{}`},
		{"SET #c = if_not_exists(#c, :one) + :two", `{"count": {"N": "3"}}`},
		{"SET l = list_append(l, :l2)", `{"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}, {"N": "7"}, {"N": "8"}]}}`},
		{"SET l = list_append(:l, l)", `{"l": {"L": [{"S": "x"}, {"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]}}`},
		{"SET nl = list_append(if_not_exists(nl, :l), :l2)", `{"nl": {"L": [{"S": "x"}, {"N": "7"}, {"N": "8"}]}}`},
		{"SET l[1] = :x", `{"l": {"L": [{"N": "0"}, {"S": "x"}, {"N": "2"}, {"N": "3"}]}}`},
		{"SET l[11] = :one, l[10] = :x", `{"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}, {"S": "x"}, {"N": "1"}]}}`},
		{"SET l[10] = :x", `{"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}, {"S": "x"}]}}`},
		{"SET m.#k = :x, m.sb.z = :two, m.arr[0] = :one", `{"m": {"M": {"k": {"S": "x"}, "sb": {"M": {"z": {"N": "2"}}}, "arr": {"L": [{"N": "1"}, {"S": "q"}]}}}}`},
		{"SET m.nw = :m", `{"m": {"M": {"k": {"S": "v"}, "sb": {"M": {"z": {"N": "1"}}}, "arr": {"L": [{"S": "p"}, {"S": "q"}]}, "nw": {"M": {"k": {"S": "v"}}}}}}`},
		{"SET x = s, s = n", `{"x": {"S": "x"}, "s": {"N": "5"}}`},
		{"REMOVE s, ss", `{"s": "-", "ss": "-"}`},
		{"REMOVE nope, m.nope, l[9], m.sb.nope.deep", `{}`},
		{"REMOVE l[1], l[2]", `{"l": {"L": [{"N": "0"}, {"N": "3"}]}}`},
		{"REMOVE l[2], l[0]", `{"l": {"L": [{"N": "1"}, {"N": "3"}]}}`},
		{"REMOVE m.sb.z, m.arr[0]", `{"m": {"M": {"k": {"S": "v"}, "sb": {"M": {}}, "arr": {"L": [{"S": "q"}]}}}}`},
		{"ADD n :two", `{"n": {"N": "7"}}`},
		{"ADD nw :two", `{"nw": {"N": "2"}}`},
		{"ADD ss :ss2", `{"ss": {"SS": ["a", "b", "c"]}}`},
		{"ADD ns :ns3", `{"ns": {"NS": ["1", "2", "3"]}}`},
		{"ADD ns :ns", `{}`},
		{"ADD nss :ss", `{"nss": {"SS": ["a", "b"]}}`},
		{"ADD m.sb.z :one", `{"m": {"M": {"k": {"S": "v"}, "sb": {"M": {"z": {"N": "2"}}}, "arr": {"L": [{"S": "p"}, {"S": "q"}]}}}}`},
		{"DELETE ss :ss2", `{"ss": {"SS": ["a"]}}`},
		{"DELETE ss :ss", `{"ss": "-"}`},
		{"DELETE ns :ns", `{"ns": "-"}`},
		{"DELETE nope :ss", `{}`},
		{"SET a = :one REMOVE s ADD n :one DELETE ss :ss2", `{"a": {"N": "1"}, "s": "-", "n": {"N": "6"}, "ss": {"SS": ["a"]}}`},
		{"delete ss :ss2 add n :one remove s set a = :one", `{"a": {"N": "1"}, "s": "-", "n": {"N": "6"}, "ss": {"SS": ["a"]}}`},
	} {
		u, err := ParseUpdate(c.expr, names, values)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		orig := item(t, updItem)
		got, err := u.Apply(orig)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if !reflect.DeepEqual(orig, item(t, updItem)) {
			t.Errorf("%s: modified its input", c.expr)
		}
		want := item(t, updItem)
		var diff map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c.want), &diff); err != nil {
			t.Fatal(err)
		}
		for k, raw := range diff {
			if string(raw) == `"-"` {
				delete(want, k)
				continue
			}
			var v attr.Value
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			want[k] = v
		}
		if !itemsEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("%s:\n got %s\nwant %s", c.expr, g, w)
		}
	}
}

func itemsEqual(a, b attr.Item) bool {
	return attr.Equal(attr.Map(a), attr.Map(b))
}

func TestUpdateSwap(t *testing.T) {
	u, err := ParseUpdate("SET a = b, b = a", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := u.Apply(attr.Item{"a": attr.Str("A"), "b": attr.Str("B")})
	if err != nil || *got["a"].S != "B" || *got["b"].S != "A" {
		t.Errorf("swap: %v, %v", got, err)
	}
	got, err = u.Apply(nil)
	wantErr(t, "swap on no item", err, "The provided expression refers to an attribute that does not exist in the item")
	if got != nil {
		t.Error("result with an error")
	}
	u, _ = ParseUpdate("SET a = :one", nil, vals(t, testValues))
	if got, err := u.Apply(nil); err != nil || len(got) != 1 {
		t.Errorf("set on no item: %v, %v", got, err)
	}
}

func TestUpdateApplyErrors(t *testing.T) {
	values := vals(t, testValues)
	for _, c := range []struct{ expr, msg string }{
		{"SET a = nope", "The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = nope + :one", "refers to an attribute that does not exist"},
		{"SET a = s + :one", "An operand in the update expression has an incorrect data type"},
		{"SET a = list_append(l, s)", "An operand in the update expression has an incorrect data type"},
		{"SET nope.a = :one", "The document path provided in the update expression is invalid for update"},
		{"SET s.a = :one", "The document path provided in the update expression is invalid for update"},
		{"SET l[10].a = :one", "invalid for update"},
		{"SET m.nope.a = :one", "invalid for update"},
		{"SET n[0] = :one", "invalid for update"},
		{"REMOVE s.a", "invalid for update"},
		{"ADD s :one", "An operand in the update expression has an incorrect data type"},
		{"ADD ss :one", "incorrect data type"},
		{"ADD ss :ns", "incorrect data type"},
		{"ADD nope.a :one", "invalid for update"},
		{"DELETE ss :ns", "incorrect data type"},
		{"DELETE s :ss", "incorrect data type"},
	} {
		u, err := ParseUpdate(c.expr, nil, values)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		_, err = u.Apply(item(t, updItem))
		wantErr(t, c.expr, err, c.msg)
	}
	u, _ := ParseUpdate("SET n = n + :max", nil, Values{":max": attr.Num("9.9999999999999999999999999999999999999E+125")})
	_, err := u.Apply(attr.Item{"n": attr.Num("1E+125")})
	wantErr(t, "overflow", err, "Number overflow")
}

func TestUpdateParseErrors(t *testing.T) {
	values := vals(t, testValues)
	names := Names{"#a": "a"}
	for _, c := range []struct{ expr, msg string }{
		{"", "Invalid UpdateExpression: The expression can not be empty;"},
		{"SET a = :one,", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","`},
		{"SET a :one", `Syntax error; token: ":one"`},
		{"a = :one", `Syntax error; token: "a"`},
		{"UPDATE a = :one", `Syntax error; token: "UPDATE"`},
		{"SET a = :one SET b = :two", `The "SET" section can only be used once in an update expression;`},
		{"REMOVE a REMOVE b", `The "REMOVE" section can only be used once`},
		{"SET a = :one + :two + :ten", `Syntax error; token: "+"`},
		{"SET a = :one REMOVE a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"SET a = :one, a.b = :two", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"SET a[1] = :one REMOVE a.b", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]"},
		{"SET #a.b[2] = :one ADD a.b[2].c :one", "path one: [a, b, [2]], path two: [a, b, [2], c]"},
		{"ADD a :s", "Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"},
		{"ADD a :l", "operator: ADD, operand type: LIST"},
		{"DELETE a :one", "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"},
		{"ADD a b", `Syntax error; token: "b"`},
		{"SET a = :s + :one", "Incorrect operand type for operator or function; operator or function: +, operand type: STRING"},
		{"SET a = b - :l", "operator or function: -, operand type: LIST"},
		{"SET a = list_append(a, :s)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: STRING"},
		{"SET a = list_append(a)", "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"},
		{"SET a = if_not_exists(:one, :two)", "Operator or function requires a document path; operator or function: if_not_exists"},
		{"SET a = size(b)", "The function is not allowed in an update expression; function: size"},
		{"SET a = attribute_exists(b)", "The function is not allowed in an update expression; function: attribute_exists"},
		{"SET a = foo(b)", "Invalid function name; function: foo"},
		{"SET status = :one", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"SET a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"REMOVE #nope", "An expression attribute name used in the document path is not defined; attribute name: #nope"},
	} {
		_, err := ParseUpdate(c.expr, names, values)
		wantErr(t, c.expr, err, c.msg)
	}
}

func TestUpdatePaths(t *testing.T) {
	u, err := ParseUpdate("SET b.c = :one, a = x REMOVE d[1] ADD e :one, b.d :one DELETE f :ss", nil, vals(t, testValues))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Paths(), []string{"a", "b", "d", "e", "f"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Paths = %v, want %v", got, want)
	}
}
