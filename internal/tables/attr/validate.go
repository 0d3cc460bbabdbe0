package attr

import (
	"fmt"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

const invalid = "One or more parameter values were invalid: "

// Validate checks a value by DynamoDB's rules: exactly one type set,
// numbers valid and in range, sets non-empty and free of duplicates,
// nested values valid. Errors are ValidationExceptions with DynamoDB's
// messages.
func (v Value) Validate() error {
	switch v.fields() {
	case 0:
		return fn.Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case 1:
	default:
		return fn.Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	switch v.Type() {
	case "N":
		_, err := parseNum(*v.N)
		return err
	case "M":
		for _, e := range v.M {
			if err := e.Validate(); err != nil {
				return err
			}
		}
	case "L":
		for _, e := range v.L {
			if err := e.Validate(); err != nil {
				return err
			}
		}
	case "SS":
		if len(v.SS) == 0 {
			return fn.Validation(invalid + "An string set  may not be empty")
		}
		return noDuplicates(v.SS, func(s string) (string, error) { return s, nil })
	case "NS":
		if len(v.NS) == 0 {
			return fn.Validation(invalid + "An number set  may not be empty")
		}
		return noDuplicates(v.NS, CanonicalNumber)
	case "BS":
		if len(v.BS) == 0 {
			return fn.Validation(invalid + "Binary sets should not be empty")
		}
		return noDuplicates(v.BS, func(b []byte) (string, error) { return string(b), nil })
	}
	return nil
}

// fields counts the type fields set on v.
func (v Value) fields() int {
	n := 0
	for _, set := range []bool{v.S != nil, v.N != nil, v.B != nil, v.BOOL != nil, v.NULL,
		v.M != nil || v.emptyM, v.L != nil || v.emptyL, v.SS != nil, v.NS != nil, v.BS != nil} {
		if set {
			n++
		}
	}
	return n
}

func noDuplicates[T any](elems []T, key func(T) (string, error)) error {
	seen := make(map[string]bool, len(elems))
	for _, e := range elems {
		k, err := key(e)
		if err != nil {
			return err
		}
		if seen[k] {
			parts := make([]string, len(elems))
			for i, e := range elems {
				parts[i] = fmt.Sprint(e)
			}
			return fn.Validation(invalid+"Input collection [%s] contains duplicates.", strings.Join(parts, ", "))
		}
		seen[k] = true
	}
	return nil
}

// Validate checks every attribute of an item: names non-empty, values
// valid. Key attributes and the 400 KB limit are the store's to check.
func (it Item) Validate() error {
	for name, v := range it {
		if name == "" {
			return fn.Validation(invalid + "An AttributeValue may not contain an empty attribute name")
		}
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}
