package expr

import "testing"

const condItem = `{
	"id": {"S": "u1"}, "n": {"N": "1.00"}, "neg": {"N": "-5"}, "big": {"N": "123456789012345678901234567890.1235"},
	"s": {"S": "hello world"}, "b": {"B": "AQID"}, "t": {"BOOL": true}, "nul": {"NULL": true},
	"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AQ=="]},
	"l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"deep": {"N": "10"}}}]},
	"m": {"M": {"inr": {"M": {"v": {"S": "hello"}}}, "lst": {"L": [{"N": "1"}]}, "emp": {"S": ""}}},
	"status": {"S": "active"}, "a.b": {"N": "1"}
}`

func TestConditionEval(t *testing.T) {
	values := vals(t, testValues)
	names := Names{"#st": "status", "#dot": "a.b", "#m": "m", "#i": "inr"}
	it := item(t, condItem)
	for _, c := range []struct {
		expr string
		want bool
	}{
		// comparators, numbers by value
		{"n = :one", true}, {"n = :onezero", true}, {"n <> :one", false}, {"n <> :two", true},
		{"n < :two", true}, {"n <= :one", true}, {"n > :one", false}, {"n >= :onezero", true},
		{"neg < :one", true}, {":two > n", true}, {"n < :ten", true},
		{"big > :big", true}, {"big < :big2", true}, {"big = :big", false},
		{"s > :he", true}, {"s = :s", false}, {"b > :b1", true}, {"b = :b", false},
		// mismatched types and nope attributes: false, but <> true
		{"n = :s", false}, {"n <> :s", true}, {"n < :s", false}, {"t = :t", true}, {"nul = :null", true},
		{"nope = :one", false}, {"nope <> :one", true}, {"nope < :one", false},
		{"l = :l", false}, {"m.lst = :l", false}, {"ss = :ss", true}, {"ns = :ns", true}, {"ss = :ss2", false},
		// BETWEEN, IN
		{"n BETWEEN :one AND :two", true}, {"n between :two and :ten", false}, {"s BETWEEN :he AND :x", true},
		{"nope BETWEEN :one AND :two", false}, {"s BETWEEN :one AND :two", false},
		{"n IN (:two, :onezero)", true}, {"n IN (:two)", false}, {"s in (:s, :x)", false}, {"nope IN (:one)", false},
		// logic and precedence: NOT > AND > OR
		{"n = :one AND s = :s", false}, {"n = :one OR s = :s", true}, {"NOT n = :two", true},
		{"n = :two AND s = :s OR t = :t", true}, {"n = :two AND (s = :s OR t = :t)", false},
		{"t = :t OR n = :two AND s = :s", true}, {"(t = :t OR n = :two) AND s = :s", false},
		{"NOT n = :one AND t = :t", false}, {"NOT (n = :one AND s = :s)", true}, {"not not n = :one", true},
		{"((n = :one))", true},
		// functions
		{"attribute_exists(id)", true}, {"attribute_exists(nope)", false}, {"attribute_not_exists(nope)", true},
		{"attribute_exists(m.inr.v)", true}, {"attribute_exists(m.inr.x)", false}, {"attribute_exists(l[2].deep)", true},
		{"attribute_exists(l[3])", false}, {"attribute_exists(s[0])", false}, {"attribute_exists(#dot)", true}, {"attribute_exists(a.b)", false},
		{"attribute_type(n, :tN)", true}, {"attribute_type(n, :tS)", false}, {"attribute_type(l, :tL)", true},
		{"attribute_type(m, :tM)", true}, {"attribute_type(ss, :tSS)", true}, {"attribute_type(nope, :tN)", false},
		{"begins_with(s, :he)", true}, {"begins_with(s, :x)", false}, {"begins_with(b, :b1)", true}, {"begins_with(n, :he)", false},
		{"begins_with(#m.#i.v, :he)", true}, {"begins_with(nope, :he)", false},
		{"contains(s, :x)", false}, {"contains(s, :he)", true}, {"contains(ss, :x)", false},
		{"contains(l, :x)", true}, {"contains(l, :two)", true}, {"contains(ns, :onezero)", true}, {"contains(ns, :ten)", false},
		{"contains(bs, :b1)", true}, {"contains(nope, :x)", false}, {"contains(m.inr.v, m.inr.v)", true},
		// size
		{"size(s) = :ten", false}, {"size(s) > :ten", true}, {"size(l) > :two", true}, {"size(ss) = :two", true},
		{"size(m) < :two", false}, {"size(b) <= :ten", true}, {"size(n) = :one", false}, {"size(nope) < :ten", false},
		{"size(m.emp) < :one", true}, {":ten BETWEEN size(ss) AND size(s)", true}, {"size(l) IN (:one, :two)", false},
		// placeholders, nested paths
		{"#st = :s", false}, {"#m.inr.v = :s", true}, {"m.lst[0] = :one", true}, {"l[2].deep = :ten", true},
		{"l[1] = n", false}, {"l[1] > n", true}, {"s = s", true},
	} {
		cond, err := ParseCondition(c.expr, names, values)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got, err := cond.Eval(it)
		if err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.expr, got, err, c.want)
		}
	}
}

func TestConditionNoItem(t *testing.T) {
	values := vals(t, testValues)
	for expr, want := range map[string]bool{
		"attribute_not_exists(id)": true, "attribute_exists(id)": false, "id = :s": false, "id <> :s": true,
		"NOT contains(id, :x)": true, "size(id) < :ten": false,
	} {
		c, err := ParseCondition(expr, nil, values)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got, _ := c.Eval(nil); got != want {
			t.Errorf("%s on no item = %v, want %v", expr, got, want)
		}
	}
}

func TestConditionErrors(t *testing.T) {
	values := vals(t, testValues)
	names := Names{"#st": "status"}
	long := "a = :one"
	for len(long) <= maxExprLen {
		long += " AND a = :one"
	}
	for _, c := range []struct{ expr, msg string }{
		{"", "Invalid ConditionExpression: The expression can not be empty;"},
		{"   ", "The expression can not be empty;"},
		{long, "Expression size has exceeded the maximum allowed size"},
		{"a == :one", `Invalid ConditionExpression: Syntax error; token: "=", near: "== :one"`},
		{"a =", `Syntax error; token: "<EOF>", near: "="`},
		{"a = :one AND", `Syntax error; token: "<EOF>", near: "AND"`},
		{"a = :one b = :two", `Syntax error; token: "b", near: ":one b ="`},
		{"(a = :one", `Syntax error; token: "<EOF>"`},
		{"a = :one)", `Syntax error; token: ")"`},
		{"a ! :one", `Syntax error; token: "!", near: "a ! :one"`},
		{"a = :one AND AND b = :two", `Syntax error; token: "AND"`},
		{"a", `Syntax error; token: "<EOF>", near: "a"`},
		{"a BETWEEN :one", `Syntax error; token: "<EOF>"`},
		{"a IN :one", `Syntax error; token: ":one"`},
		{"a[x] = :one", `Syntax error; token: "x"`},
		{"_a = :one", `Syntax error; token: "_a"`},
		{"a = # ", `Syntax error; token: "#"`},
		{"status = :s", "Attribute name is a reserved keyword; reserved keyword: status"},
		{"a.Name = :s", "Attribute name is a reserved keyword; reserved keyword: Name"},
		{"#nope = :s", "An expression attribute name used in the document path is not defined; attribute name: #nope"},
		{"#st = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"foo(a)", "Invalid function name; function: foo"},
		{"attribute_exists(a) = :t", "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"size(a)", `Syntax error; token: "<EOF>"`},
		{"if_not_exists(a, :one) = :one", "The function is not allowed to be used this way in an expression; function: if_not_exists"},
		{"attribute_exists(a, b)", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"begins_with(a)", "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
		{"attribute_exists(:s)", "Operator or function requires a document path; operator or function: attribute_exists"},
		{"size(:s) = :one", "Operator or function requires a document path; operator or function: size"},
		{"attribute_type(a, :tBad)", "Invalid attribute type name found in type: STRING"},
		{"attribute_type(a, :one)", "Invalid attribute type name found in type"},
		{"begins_with(a, :one)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: NUMBER"},
		{"a < :t", "Incorrect operand type for operator or function; operator or function: <, operand type: BOOLEAN"},
		{"a BETWEEN :one AND :l", "operator or function: BETWEEN, operand type: LIST"},
		{"a BETWEEN :ten AND :two", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {\"N\":\"10\"}, upper bound operand: AttributeValue: {\"N\":\"2\"}"},
	} {
		_, err := ParseCondition(c.expr, names, values)
		wantErr(t, c.expr, err, c.msg)
	}
	_, err := ParseFilter("a ==", nil, nil)
	wantErr(t, "filter", err, "Invalid FilterExpression: Syntax error")
}
