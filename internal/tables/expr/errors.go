package expr

import (
	"fmt"

	"github.com/updraft-dev/updraft/internal/fn"
)

// maxExprLen is DynamoDB's limit on an expression string (4 KB).
const maxExprLen = 4096

// invalidf is DynamoDB's "Invalid <Kind>Expression: …" ValidationException.
func invalidf(kind, format string, args ...any) *fn.Error {
	return fn.Validation("Invalid %s: %s", kind, fmt.Sprintf(format, args...))
}

// checkLen rejects empty and oversized expressions.
func checkLen(kind, s string) error {
	if len(s) > maxExprLen {
		return invalidf(kind, "Expression size has exceeded the maximum allowed size; expression size: %d", len(s))
	}
	for _, t := range lex(s) {
		if t.kind != tokEOF {
			return nil
		}
	}
	return invalidf(kind, "The expression can not be empty;")
}

// typeNames are DynamoDB's long type names used in operand type errors.
var typeNames = map[string]string{
	"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL",
	"M": "MAP", "L": "LIST", "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET",
}

// errIncorrectType is the update-time error for operands of the wrong type.
func errIncorrectType() error {
	return fn.Validation("An operand in the update expression has an incorrect data type")
}

// errInvalidPath is the update-time error for a path through a missing or
// non-container attribute.
func errInvalidPath() error {
	return fn.Validation("The document path provided in the update expression is invalid for update")
}

// errMissingAttr is the update-time error for an operand naming a missing
// attribute.
func errMissingAttr() error {
	return fn.Validation("The provided expression refers to an attribute that does not exist in the item")
}
