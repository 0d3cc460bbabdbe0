package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
)

// md5Hex is SQS's MD5OfMessageBody: the hex MD5 of the body's bytes.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is SQS's MD5OfMessageAttributes (and, over system
// attributes, MD5OfMessageSystemAttributes): for each attribute in name
// order, the name, the data type, a transport byte (1 string or number, 2
// binary) and the value, each string and value preceded by its length as
// a 4-byte big-endian integer. "" when there are none.
func md5OfAttributes(attrs map[string]msgAttr) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(a.DataType))
		if a.binary() {
			h.Write([]byte{2})
			field(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			field([]byte(deref(a.StringValue)))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// msgAttr is one message attribute as SQS's JSON protocol spells it.
type msgAttr struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

// binary: the data type is Binary (or Binary.custom).
func (a msgAttr) binary() bool { return baseType(a.DataType) == "Binary" }

// baseType is the data type without its custom suffix ("Number.int" →
// "Number").
func baseType(t string) string {
	b, _, _ := strings.Cut(t, ".")
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
