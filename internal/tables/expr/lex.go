package expr

// tokKind classifies a token.
type tokKind int

const (
	tokEOF   tokKind = iota
	tokIdent         // a bare name or keyword: a, AND, begins_with
	tokName          // #placeholder
	tokValue         // :placeholder
	tokNum           // digits (list indexes)
	tokPunct         // = <> < <= > >= ( ) , . [ ] + -
	tokBad           // a character the language does not use
)

type token struct {
	kind       tokKind
	text       string
	start, end int // byte offsets in the source
}

// lex splits an expression into tokens; it never fails: characters the
// language does not know become tokBad tokens the parser reports as
// syntax errors with their context.
func lex(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isLetter(c) || c == '_':
			for i < len(s) && isWordChar(s[i]) {
				i++
			}
			toks = append(toks, token{tokIdent, s[start:i], start, i})
		case c == '#' || c == ':':
			i++
			for i < len(s) && isWordChar(s[i]) {
				i++
			}
			kind := tokName
			if c == ':' {
				kind = tokValue
			}
			if i == start+1 {
				kind = tokBad
			}
			toks = append(toks, token{kind, s[start:i], start, i})
		case c >= '0' && c <= '9':
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			toks = append(toks, token{tokNum, s[start:i], start, i})
		case c == '<' && i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '>'), c == '>' && i+1 < len(s) && s[i+1] == '=':
			i += 2
			toks = append(toks, token{tokPunct, s[start:i], start, i})
		case c == '=' || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == '.' || c == '[' || c == ']' || c == '+' || c == '-':
			i++
			toks = append(toks, token{tokPunct, s[start:i], start, i})
		default:
			i++
			for i < len(s) && s[i]&0xC0 == 0x80 { // whole UTF-8 sequence
				i++
			}
			toks = append(toks, token{tokBad, s[start:i], start, i})
		}
	}
	return append(toks, token{tokEOF, "<EOF>", len(s), len(s)})
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isWordChar(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c == '_' }
