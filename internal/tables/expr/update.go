package expr

import (
	"sort"
	"strings"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Update is a parsed UpdateExpression.
type Update struct {
	sets    []setAction
	removes []Path
	adds    []setOp // ADD path :value
	deletes []setOp // DELETE path :set
	used
}

type setAction struct {
	path Path
	val  valueExpr
}

type setOp struct {
	path Path
	v    attr.Value
}

// valueExpr is the right side of a SET action, evaluated against the item
// as it was before the update.
type valueExpr interface {
	value(attr.Item) (attr.Value, error)
}

type (
	pathVal     struct{ Path }
	litVal      struct{ v attr.Value }
	ifNotExists struct {
		path Path
		dflt valueExpr
	}
	listAppend struct{ a, b valueExpr }
	arith      struct {
		op   string
		a, b valueExpr
	}
)

// ParseUpdate parses an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses in any order, each at most once.
func ParseUpdate(s string, names Names, values Values) (*Update, error) {
	p, err := newParser("UpdateExpression", s, names, values)
	if err != nil {
		return nil, err
	}
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tokEOF {
		t := p.peek()
		clause := strings.ToUpper(t.text)
		if t.kind != tokIdent || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			return nil, p.syntax()
		}
		if seen[clause] {
			return nil, invalidf(p.kind, "The %q section can only be used once in an update expression;", clause)
		}
		seen[clause] = true
		p.next()
		for {
			if err := p.action(u, clause); err != nil {
				return nil, err
			}
			if !p.accept(",") {
				break
			}
		}
	}
	if err := checkPaths(p.kind, u.targets()); err != nil {
		return nil, err
	}
	u.used = p.used
	return u, nil
}

func (p *parser) action(u *Update, clause string) error {
	path, err := p.path()
	if err != nil {
		return err
	}
	switch clause {
	case "SET":
		if err := p.expect("="); err != nil {
			return err
		}
		v, err := p.setValue()
		if err != nil {
			return err
		}
		u.sets = append(u.sets, setAction{path, v})
	case "REMOVE":
		u.removes = append(u.removes, path)
	case "ADD", "DELETE":
		_, v, err := p.value()
		if err != nil {
			return err
		}
		t := v.Type()
		allowed := t == "SS" || t == "NS" || t == "BS" || (clause == "ADD" && t == "N")
		if !allowed {
			return invalidf(p.kind, "Incorrect operand type for operator or function; operator: %s, operand type: %s, typeSet: ALLOWED_FOR_%s_OPERAND", clause, typeNames[t], clause)
		}
		if clause == "ADD" {
			u.adds = append(u.adds, setOp{path, v})
		} else {
			u.deletes = append(u.deletes, setOp{path, v})
		}
	}
	return nil
}

// setValue := setOperand (('+' | '-') setOperand)?
func (p *parser) setValue() (valueExpr, error) {
	a, err := p.setOperand()
	if err != nil {
		return nil, err
	}
	if !p.is("+") && !p.is("-") {
		return a, nil
	}
	op := p.next().text
	b, err := p.setOperand()
	if err != nil {
		return nil, err
	}
	for _, o := range []valueExpr{a, b} {
		if l, ok := o.(litVal); ok && l.v.N == nil {
			return nil, invalidf(p.kind, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, typeNames[l.v.Type()])
		}
	}
	return arith{op, a, b}, nil
}

// setOperand := path | :value | if_not_exists(path, setOperand)
// | list_append(setOperand, setOperand).
func (p *parser) setOperand() (valueExpr, error) {
	t := p.peek()
	switch {
	case t.kind == tokValue:
		_, v, err := p.value()
		return litVal{v}, err
	case p.atPath():
		path, err := p.path()
		return pathVal{path}, err
	case t.kind != tokIdent:
		return nil, p.syntax()
	}
	name, err := p.funcName()
	if err != nil {
		return nil, err
	}
	if name != "if_not_exists" && name != "list_append" {
		if boolFuncs[name] || name == "size" {
			return nil, invalidf(p.kind, "The function is not allowed in an update expression; function: %s", name)
		}
		return nil, invalidf(p.kind, "Invalid function name; function: %s", name)
	}
	var args []valueExpr
	for !p.is(")") {
		if len(args) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		a, err := p.setOperand()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	p.next()
	if len(args) != 2 {
		return nil, invalidf(p.kind, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	if name == "if_not_exists" {
		path, ok := args[0].(pathVal)
		if !ok {
			return nil, invalidf(p.kind, "Operator or function requires a document path; operator or function: if_not_exists")
		}
		return ifNotExists{path.Path, args[1]}, nil
	}
	for _, a := range args {
		if l, ok := a.(litVal); ok && l.v.Type() != "L" {
			return nil, invalidf(p.kind, "Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", typeNames[l.v.Type()])
		}
	}
	return listAppend{args[0], args[1]}, nil
}

// targets lists every path the update writes.
func (u *Update) targets() []Path {
	var out []Path
	for _, s := range u.sets {
		out = append(out, s.path)
	}
	out = append(out, u.removes...)
	for _, a := range u.adds {
		out = append(out, a.path)
	}
	for _, d := range u.deletes {
		out = append(out, d.path)
	}
	return out
}

// Paths returns the top-level attribute names the update writes, sorted.
func (u *Update) Paths() []string {
	seen := map[string]bool{}
	for _, p := range u.targets() {
		seen[p[0].Name] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
