package expr

import (
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// FuzzParse feeds arbitrary text to every parser: none may panic, every
// error must be a ValidationException, and what parses must evaluate.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a = :one AND (b < :two OR NOT attribute_exists(c.d[1]))", "size(a) BETWEEN :one AND :two",
		"SET a = if_not_exists(a, :one) + :two, b[3] = list_append(b, :l) REMOVE c ADD n :one DELETE s :ss",
		"a, b.c[2], #n", "id = :one AND begins_with(sk, :s)", "a IN (:one, :two)", "((a", "SET a[", "#", ":",
	} {
		f.Add(s)
	}
	values := Values{":one": attr.Num("1"), ":two": attr.Num("2"), ":s": attr.Str("x"),
		":l": attr.List([]attr.Value{attr.Num("1")}), ":ss": {SS: []string{"a"}}}
	names := Names{"#n": "n"}
	it := attr.Item{"a": attr.Num("1"), "b": attr.List([]attr.Value{attr.Str("x")}), "n": attr.Num("3"), "s": {SS: []string{"a", "b"}}}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(err error) {
			if err != nil {
				if e := fn.AsError(err); e.Type != fn.TypeValidation || e.Status != 400 {
					t.Fatalf("%q: %v", s, err)
				}
			}
		}
		c, err := ParseCondition(s, names, values)
		check(err)
		if err == nil {
			_, err := c.Eval(it)
			check(err)
		}
		u, err := ParseUpdate(s, names, values)
		check(err)
		if err == nil {
			_, err := u.Apply(it)
			check(err)
		}
		p, err := ParseProjection(s, names)
		check(err)
		if err == nil {
			p.Apply(it)
		}
		k, err := ParseKeyCondition(s, names, values, "id", "sk")
		check(err)
		if err == nil {
			k.Match(attr.Str("x"))
		}
	})
}
