package tables

import "github.com/updraft-dev/updraft/internal/tables/attr"

// ItemSize is an item's size as DynamoDB counts it toward the 400 KB
// limit: every attribute name's length plus its value's size.
func ItemSize(it attr.Item) int {
	n := 0
	for name, v := range it {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v attr.Value) int {
	switch v.Type() {
	case "S":
		return len(*v.S)
	case "N":
		return numSize(*v.N)
	case "B":
		return len(v.B)
	case "BOOL", "NULL":
		return 1
	case "SS":
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case "NS":
		n := 0
		for _, s := range v.NS {
			n += numSize(s)
		}
		return n
	case "BS":
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	case "M":
		n := 3
		for k, e := range v.M {
			n += len(k) + valueSize(e) + 1
		}
		return n
	case "L":
		n := 3
		for _, e := range v.L {
			n += valueSize(e) + 1
		}
		return n
	}
	return 0
}

// numSize: about one byte per two significant digits, plus one.
func numSize(s string) int { return (len(s)+1)/2 + 1 }
