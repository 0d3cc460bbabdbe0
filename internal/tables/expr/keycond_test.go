package expr

import (
	"testing"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

func TestKeyCondition(t *testing.T) {
	values := vals(t, testValues)
	names := Names{"#pk": "id", "#sk": "sk"}
	for _, c := range []struct {
		expr  string
		op    string
		match []attr.Value
		miss  []attr.Value
	}{
		{"id = :s", "", []attr.Value{attr.Str("anything")}, nil},
		{"#pk = :s", "", nil, nil},
		{"id = :s AND sk = :one", "=", []attr.Value{attr.Num("1.0")}, []attr.Value{attr.Num("2"), attr.Str("1")}},
		{"sk = :one AND id = :s", "=", []attr.Value{attr.Num("1")}, nil},
		{"id = :s AND sk < :two", "<", []attr.Value{attr.Num("1.999"), attr.Num("-100")}, []attr.Value{attr.Num("2"), attr.Num("3")}},
		{"id = :s AND sk <= :two", "<=", []attr.Value{attr.Num("2")}, []attr.Value{attr.Num("2.0000000000000000000000000000000000001")}},
		{"id = :s AND sk > :two", ">", []attr.Value{attr.Num("10")}, []attr.Value{attr.Num("2")}},
		{"id = :s AND sk >= :two", ">=", []attr.Value{attr.Num("2")}, []attr.Value{attr.Num("1.5")}},
		{"id = :s AND sk BETWEEN :one AND :ten", "BETWEEN", []attr.Value{attr.Num("1"), attr.Num("5"), attr.Num("10")}, []attr.Value{attr.Num("0.9"), attr.Num("10.1")}},
		{"id = :s AND begins_with(sk, :he)", "begins_with", []attr.Value{attr.Str("he"), attr.Str("hello")}, []attr.Value{attr.Str("h"), attr.Str("Hello"), attr.Num("1")}},
		{"id = :s AND begins_with(#sk, :b1)", "begins_with", []attr.Value{attr.Bin([]byte{1, 2})}, []attr.Value{attr.Bin([]byte{2})}},
		{"(id = :s) AND (sk > :he)", ">", []attr.Value{attr.Str("hf")}, []attr.Value{attr.Str("a")}},
	} {
		k, err := ParseKeyCondition(c.expr, names, values, "id", "sk")
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if k.Hash.S == nil || *k.Hash.S != "hello" {
			t.Errorf("%s: Hash = %+v", c.expr, k.Hash)
		}
		switch {
		case c.op == "" && k.Range != nil:
			t.Errorf("%s: Range = %+v", c.expr, k.Range)
		case c.op != "" && (k.Range == nil || k.Range.Op != c.op):
			t.Errorf("%s: Range = %+v, want op %s", c.expr, k.Range, c.op)
		}
		for _, v := range c.match {
			if !k.Match(v) {
				t.Errorf("%s: does not match %+v", c.expr, v)
			}
		}
		for _, v := range c.miss {
			if k.Match(v) {
				t.Errorf("%s: matches %+v", c.expr, v)
			}
		}
	}
}

func TestKeyConditionErrors(t *testing.T) {
	values := vals(t, testValues)
	for _, c := range []struct{ expr, rangeKey, msg string }{
		{"sk = :one", "sk", "Query condition missed key schema element: id"},
		{"begins_with(sk, :he)", "sk", "Query condition missed key schema element: id"},
		{"id = :s AND foo = :one", "sk", "Query condition missed key schema element: sk"},
		{"id = :s AND sk = :one", "", "Query key condition not supported"},
		{"id < :s", "sk", "Query key condition not supported"},
		{"id = :s OR sk = :one", "sk", "Query key condition not supported"},
		{"id = :s AND NOT sk = :one", "sk", "Query key condition not supported"},
		{"id = :s AND sk <> :one", "sk", "Query key condition not supported"},
		{"id = :s AND sk IN (:one)", "sk", "Query key condition not supported"},
		{"id = :s AND contains(sk, :one)", "sk", "Query key condition not supported"},
		{"id = :s AND attribute_exists(sk)", "sk", "Query key condition not supported"},
		{"id = :s AND sk = :one AND sk = :two", "sk", "Query key condition not supported"},
		{"id = :s AND id = :s", "sk", "Query key condition not supported"},
		{"id = sk", "sk", "Query key condition not supported"},
		{"id.x = :s", "sk", "Query key condition not supported"},
		{"id = :s AND", "sk", `Invalid KeyConditionExpression: Syntax error; token: "<EOF>"`},
		{"id = :nope", "sk", "An expression attribute value used in expression is not defined; attribute value: :nope"},
	} {
		_, err := ParseKeyCondition(c.expr, nil, values, "id", c.rangeKey)
		wantErr(t, c.expr, err, c.msg)
	}
}

func TestCheckUnused(t *testing.T) {
	values := vals(t, `{":a": {"N": "1"}, ":b": {"N": "2"}, ":c": {"N": "3"}}`)
	names := Names{"#x": "x", "#y": "y"}
	cond, err := ParseCondition("#x = :a", names, values)
	if err != nil {
		t.Fatal(err)
	}
	upd, err := ParseUpdate("SET #y = :b", names, values)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckUnused(names, values, cond, upd)
	wantErr(t, "unused :c", err, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}")
	err = CheckUnused(names, values, cond)
	wantErr(t, "unused :b :c", err, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :c}")
	delete(values, ":c")
	err = CheckUnused(names, values, cond, upd)
	if err != nil {
		t.Errorf("all used: %v", err)
	}
	proj, _ := ParseProjection("#x", names)
	var noCond *Condition
	err = CheckUnused(names, Values{":a": values[":a"]}, proj, noCond, cond)
	wantErr(t, "unused #y", err, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#y}")
	key, _ := ParseKeyCondition("#x = :a", names, values, "x", "")
	if got, want := key.UsedValues(), []string{":a"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("key UsedValues = %v", got)
	}
	if err := CheckUnused(nil, nil); err != nil {
		t.Errorf("nothing: %v", err)
	}
}

func TestKeyConditionTypes(t *testing.T) {
	values := vals(t, testValues)
	k, err := ParseKeyCondition("id = :s AND sk BETWEEN :one AND :ten", nil, values, "id", "sk")
	if err != nil {
		t.Fatal(err)
	}
	if err := k.CheckTypes("S", "N"); err != nil {
		t.Errorf("S/N: %v", err)
	}
	wantErr(t, "hash N", k.CheckTypes("N", "N"), "Condition parameter type does not match schema type")
	wantErr(t, "range S", k.CheckTypes("S", "S"), "Condition parameter type does not match schema type")
	k, _ = ParseKeyCondition("id = :s", nil, values, "id", "")
	if err := k.CheckTypes("S", ""); err != nil {
		t.Errorf("hash only: %v", err)
	}
}

func TestCheckPlaceholders(t *testing.T) {
	if err := CheckPlaceholders(Names{"#a": "a", "#b_1": "b"}, vals(t, testValues)); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := CheckPlaceholders(nil, nil); err != nil {
		t.Errorf("none: %v", err)
	}
	for _, c := range []struct {
		names  Names
		values Values
		msg    string
	}{
		{Names{"a": "a"}, nil, `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{Names{"#": "a"}, nil, `ExpressionAttributeNames contains invalid key: Syntax error; key: "#"`},
		{Names{"#a-b": "a"}, nil, `ExpressionAttributeNames contains invalid key`},
		{Names{"#a": ""}, nil, `ExpressionAttributeNames contains invalid value: Empty attribute name`},
		{nil, Values{"v": attr.Num("1")}, `ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
		{nil, Values{":v": attr.Num("x")}, `ExpressionAttributeValues contains invalid value: A value provided cannot be converted into a number for key :v`},
		{nil, Values{":v": {SS: []string{}}}, `ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v`},
	} {
		wantErr(t, c.msg, CheckPlaceholders(c.names, c.values), c.msg)
	}
}
