package expr

import (
	"encoding/json"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Condition is a parsed ConditionExpression or FilterExpression.
type Condition struct {
	root cond
	used
}

// ParseCondition parses a ConditionExpression.
func ParseCondition(s string, names Names, values Values) (*Condition, error) {
	return parseCondition("ConditionExpression", s, names, values)
}

// ParseFilter parses a FilterExpression: the same language, with errors
// naming FilterExpression.
func ParseFilter(s string, names Names, values Values) (*Condition, error) {
	return parseCondition("FilterExpression", s, names, values)
}

func parseCondition(kind, s string, names Names, values Values) (*Condition, error) {
	p, err := newParser(kind, s, names, values)
	if err != nil {
		return nil, err
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return &Condition{root: root, used: p.used}, nil
}

// Eval evaluates the condition against item; a nil item (no item) has no
// attributes, so only attribute_not_exists and <> hold on it.
func (c *Condition) Eval(item attr.Item) (bool, error) {
	return c.root.eval(item), nil
}

// or := and (OR and)*; and := not (AND not)*; not := NOT not | primary.
func (p *parser) or() (cond, error) {
	l, err := p.and()
	for err == nil && p.accept("OR") {
		var r cond
		if r, err = p.and(); err == nil {
			l = orNode{l, r}
		}
	}
	return l, err
}

func (p *parser) and() (cond, error) {
	l, err := p.not()
	for err == nil && p.accept("AND") {
		var r cond
		if r, err = p.not(); err == nil {
			l = andNode{l, r}
		}
	}
	return l, err
}

func (p *parser) not() (cond, error) {
	if p.accept("NOT") {
		x, err := p.not()
		return notNode{x}, err
	}
	return p.primary()
}

// boolFuncs are the functions that are conditions by themselves.
var boolFuncs = map[string]bool{"attribute_exists": true, "attribute_not_exists": true, "attribute_type": true, "begins_with": true, "contains": true}

// primary := '(' or ')' | function | operand comparator operand
// | operand BETWEEN operand AND operand | operand IN '(' operand, … ')'.
func (p *parser) primary() (cond, error) {
	if p.accept("(") {
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	t := p.peek()
	if t.kind == tokIdent && p.toks[p.pos+1].text == "(" && boolFuncs[t.text] {
		return p.boolFunc()
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	switch op := p.peek().text; {
	case p.peek().kind == tokPunct && comparators[op]:
		p.next()
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		if op != "=" && op != "<>" {
			if err := p.ordered(op, l, r); err != nil {
				return nil, err
			}
		}
		return cmpNode{op, l, r}, nil
	case p.is("BETWEEN"):
		p.next()
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.expect("AND"); err != nil {
			return nil, err
		}
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.ordered("BETWEEN", l, lo, hi); err != nil {
			return nil, err
		}
		lv, lok := lo.(valueOperand)
		hv, hok := hi.(valueOperand)
		if c, ok := attr.Compare(lv.v, hv.v); lok && hok && ok && c > 0 {
			return nil, invalidf(p.kind, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", show(lv.v), show(hv.v))
		}
		return betweenNode{l, lo, hi}, nil
	case p.is("IN"):
		p.next()
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var list []operand
		for {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			list = append(list, o)
			if !p.accept(",") {
				break
			}
		}
		if len(list) > 100 {
			return nil, invalidf(p.kind, "The IN operator is provided with too many operands; number of operands: %d", len(list))
		}
		return inNode{l, list}, p.expect(")")
	}
	return nil, p.syntax()
}

var comparators = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

// ordered checks that literal operands of an ordering operator are of a
// type it orders (S, N, B).
func (p *parser) ordered(op string, ops ...operand) error {
	for _, o := range ops {
		if v, ok := o.(valueOperand); ok {
			if t := v.v.Type(); t != "S" && t != "N" && t != "B" {
				return invalidf(p.kind, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, typeNames[t])
			}
		}
	}
	return nil
}

// operand := path | :value | size(path).
func (p *parser) operand() (operand, error) {
	t := p.peek()
	switch {
	case t.kind == tokValue:
		name, v, err := p.value()
		return valueOperand{name, v}, err
	case p.atPath():
		path, err := p.path()
		return pathOperand{path}, err
	case t.kind == tokIdent:
		name, args, err := p.call()
		if err != nil {
			return nil, err
		}
		if name != "size" {
			return nil, p.misusedFunc(name)
		}
		if err := p.arity(name, args, 1); err != nil {
			return nil, err
		}
		return sizeOperand{args[0].(pathOperand).Path}, nil
	}
	return nil, p.syntax()
}

func (p *parser) misusedFunc(name string) error {
	if boolFuncs[name] || name == "size" || name == "if_not_exists" || name == "list_append" {
		return invalidf(p.kind, "The function is not allowed to be used this way in an expression; function: %s", name)
	}
	return invalidf(p.kind, "Invalid function name; function: %s", name)
}

// call reads name(operand, …).
func (p *parser) call() (string, []operand, error) {
	name, err := p.funcName()
	if err != nil {
		return "", nil, err
	}
	if !boolFuncs[name] && name != "size" {
		return "", nil, p.misusedFunc(name)
	}
	var args []operand
	for !p.is(")") {
		if len(args) > 0 {
			if err := p.expect(","); err != nil {
				return "", nil, err
			}
		}
		o, err := p.operand()
		if err != nil {
			return "", nil, err
		}
		args = append(args, o)
	}
	p.next()
	return name, args, nil
}

// arity checks a function's operand count and that its first operand is
// a document path.
func (p *parser) arity(name string, args []operand, n int) error {
	if len(args) != n {
		return invalidf(p.kind, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	if _, ok := args[0].(pathOperand); !ok {
		return invalidf(p.kind, "Operator or function requires a document path; operator or function: %s", name)
	}
	return nil
}

// boolFunc reads attribute_exists, attribute_not_exists, attribute_type,
// begins_with or contains.
func (p *parser) boolFunc() (cond, error) {
	name, args, err := p.call()
	if err != nil {
		return nil, err
	}
	n := 2
	if name == "attribute_exists" || name == "attribute_not_exists" {
		n = 1
	}
	if err := p.arity(name, args, n); err != nil {
		return nil, err
	}
	switch name {
	case "attribute_type":
		v, ok := args[1].(valueOperand)
		if !ok || v.v.S == nil || typeNames[*v.v.S] == "" {
			return nil, invalidf(p.kind, "Invalid attribute type name found in type: %s for attribute name: %s", showType(args[1]), args[0].(pathOperand).Path)
		}
	case "begins_with":
		if v, ok := args[1].(valueOperand); ok && v.v.S == nil && v.v.B == nil {
			return nil, invalidf(p.kind, "Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", typeNames[v.v.Type()])
		}
	}
	if p.peek().kind == tokPunct && comparators[p.peek().text] {
		return nil, p.misusedFunc(name)
	}
	return funcNode{name, args}, nil
}

func showType(o operand) string {
	if v, ok := o.(valueOperand); ok && v.v.S != nil {
		return *v.v.S
	}
	return "(not a string value)"
}

// show writes a value in DynamoDB's message notation, {N:5}.
func show(v attr.Value) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
