package expr

import (
	"sort"
	"strconv"
	"strings"

	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// Names are ExpressionAttributeNames: "#n" → attribute name.
type Names map[string]string

// Values are ExpressionAttributeValues: ":v" → value.
type Values map[string]attr.Value

// maxDepth is DynamoDB's limit on a document path's nesting.
const maxDepth = 32

// parser is the recursive-descent parser all four expression kinds share.
type parser struct {
	kind   string // ConditionExpression, UpdateExpression, …: the message prefix
	src    string
	toks   []token
	pos    int
	names  Names
	values Values
	used   used
}

// used records the placeholders an expression refers to.
type used struct{ names, values map[string]bool }

func (u used) UsedNames() []string  { return sortedKeys(u.names) }
func (u used) UsedValues() []string { return sortedKeys(u.values) }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newParser(kind, s string, names Names, values Values) (*parser, error) {
	if err := checkLen(kind, s); err != nil {
		return nil, err
	}
	return &parser{kind: kind, src: s, toks: lex(s), names: names, values: values,
		used: used{names: map[string]bool{}, values: map[string]bool{}}}, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// is reports whether the current token is the punctuation or keyword
// text (keywords case-insensitively).
func (p *parser) is(text string) bool {
	t := p.peek()
	switch t.kind {
	case tokPunct:
		return t.text == text
	case tokIdent:
		return strings.EqualFold(t.text, text)
	}
	return false
}

func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(text string) error {
	if !p.accept(text) {
		return p.syntax()
	}
	return nil
}

// syntax is DynamoDB's syntax error at the current token: the token and
// the source from the previous token to the next.
func (p *parser) syntax() error {
	t := p.toks[p.pos]
	from, to := t.start, t.end
	if p.pos > 0 {
		from = p.toks[p.pos-1].start
	}
	if p.pos+1 < len(p.toks) {
		to = p.toks[p.pos+1].end
	}
	return invalidf(p.kind, "Syntax error; token: %q, near: %q", t.text, p.src[from:to])
}

// end checks that the whole input was consumed.
func (p *parser) end() error {
	if p.peek().kind != tokEOF {
		return p.syntax()
	}
	return nil
}

// atPath reports whether the current token starts a document path.
func (p *parser) atPath() bool {
	t := p.peek()
	if t.kind == tokName {
		return true
	}
	return t.kind == tokIdent && !(p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "(")
}

// keywords are the grammar's own words: where a name is expected they are
// a syntax error rather than a reserved-word error.
var keywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true,
	"SET": true, "REMOVE": true, "ADD": true, "DELETE": true}

// pathName reads one name element: a bare name (not reserved) or a #name
// placeholder.
func (p *parser) pathName() (string, error) {
	t := p.peek()
	switch t.kind {
	case tokIdent:
		if keywords[strings.ToUpper(t.text)] {
			return "", p.syntax()
		}
		if isReserved(t.text) {
			return "", invalidf(p.kind, "Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		if !isLetter(t.text[0]) {
			return "", p.syntax()
		}
		p.next()
		return t.text, nil
	case tokName:
		name, ok := p.names[t.text]
		if !ok {
			return "", invalidf(p.kind, "An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.used.names[t.text] = true
		p.next()
		return name, nil
	}
	return "", p.syntax()
}

// path reads a document path: name ('.' name | '[' index ']')*.
func (p *parser) path() (Path, error) {
	name, err := p.pathName()
	if err != nil {
		return nil, err
	}
	path := Path{{Name: name}}
	for {
		switch {
		case p.is("."):
			p.next()
			name, err := p.pathName()
			if err != nil {
				return nil, err
			}
			path = append(path, Step{Name: name})
		case p.is("["):
			p.next()
			t := p.peek()
			if t.kind != tokNum {
				return nil, p.syntax()
			}
			i, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, invalidf(p.kind, "List index is too large; index: %s", t.text)
			}
			p.next()
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			path = append(path, Step{Index: i, IsIndex: true})
		default:
			if len(path) > maxDepth {
				return nil, invalidf(p.kind, "The document path has too many nesting levels; nesting levels: %d", len(path))
			}
			return path, nil
		}
	}
}

// value reads a :placeholder and returns its value.
func (p *parser) value() (string, attr.Value, error) {
	t := p.peek()
	if t.kind != tokValue {
		return "", attr.Value{}, p.syntax()
	}
	v, ok := p.values[t.text]
	if !ok {
		return "", attr.Value{}, invalidf(p.kind, "An expression attribute value used in expression is not defined; attribute value: %s", t.text)
	}
	p.used.values[t.text] = true
	p.next()
	return t.text, v, nil
}

// funcName reads a function name and its opening parenthesis.
func (p *parser) funcName() (string, error) {
	t := p.peek()
	if t.kind != tokIdent {
		return "", p.syntax()
	}
	p.next()
	if err := p.expect("("); err != nil {
		return "", err
	}
	return t.text, nil
}
