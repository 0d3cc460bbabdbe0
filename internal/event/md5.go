package event

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
)

// MD5OfBody is the hex MD5 of a message body, as SQS returns it in
// MD5OfMessageBody and md5OfBody.
func MD5OfBody(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// MD5OfMessageAttributes is the hex MD5 SQS returns in MD5OfMessageAttributes:
// over the attributes sorted by name, each encoded as its length-prefixed
// name, length-prefixed data type, a transport byte (1 for String and Number
// types, 2 for Binary types) and the length-prefixed value; lengths are 4-byte
// big-endian. It is "" when there are no attributes, as SQS then omits it.
func MD5OfMessageAttributes(attrs map[string]SQSMessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	h := md5.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, name := range names {
		a := attrs[name]
		field([]byte(name))
		field([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			field(a.BinaryValue)
			continue
		}
		h.Write([]byte{1})
		var s string
		if a.StringValue != nil {
			s = *a.StringValue
		}
		field([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}
