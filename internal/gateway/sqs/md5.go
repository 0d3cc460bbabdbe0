package sqs

import (
	"strings"

	"github.com/updraft-dev/updraft/internal/event"
)

// md5Hex is SQS's MD5OfMessageBody: the hex MD5 of the body's bytes.
func md5Hex(s string) string { return event.MD5OfBody(s) }

// md5OfAttributes is SQS's MD5OfMessageAttributes (and, over system
// attributes, MD5OfMessageSystemAttributes); "" when there are none. The
// encoding is event.MD5OfMessageAttributes', the one Lambda's records use.
func md5OfAttributes(attrs map[string]msgAttr) string {
	conv := make(map[string]event.SQSMessageAttribute, len(attrs))
	for n, a := range attrs {
		if a.binary() {
			conv[n] = event.BinaryAttribute(a.DataType, a.BinaryValue)
		} else {
			conv[n] = event.StringAttribute(a.DataType, deref(a.StringValue))
		}
	}
	return event.MD5OfMessageAttributes(conv)
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
