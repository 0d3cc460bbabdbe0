package attr

// Size is a value's size in DynamoDB's item size accounting: strings and
// binaries by length, numbers about one byte per two significant digits
// plus one, BOOL and NULL one byte, maps and lists three bytes plus one per
// element (and map keys' lengths), sets the sum of their elements.
func Size(v Value) int {
	switch v.Type() {
	case "S":
		return len(*v.S)
	case "N":
		return numSize(*v.N)
	case "B":
		return len(v.B)
	case "BOOL", "NULL":
		return 1
	case "M":
		n := 3
		for k, e := range v.M {
			n += len(k) + Size(e) + 1
		}
		return n
	case "L":
		n := 3
		for _, e := range v.L {
			n += Size(e) + 1
		}
		return n
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
	}
	return 0
}

func numSize(s string) int {
	n, err := parseNum(s)
	if err != nil {
		return len(s)
	}
	return (len(n.digits)+1)/2 + 1
}

// ItemSize is an item's size in DynamoDB's accounting: for each attribute
// the length of its name plus the size of its value. DynamoDB's limit is
// 400 KB (409600 bytes).
func ItemSize(it Item) int {
	n := 0
	for name, v := range it {
		n += len(name) + Size(v)
	}
	return n
}
