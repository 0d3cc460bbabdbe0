package logs

import (
	"time"
	"unicode/utf8"

	"github.com/updraft-dev/updraft/internal/fn"
)

// appendEntry appends e as the JSON json.Marshal would give (the same
// fields, decoding to the same values) without reflection: the router
// writes four or more entries per invocation, on the invoke path.
func appendEntry(b []byte, e *fn.LogEntry) []byte {
	return appendEntryAt(b, e, e.Time.AppendFormat(make([]byte, 0, 40), time.RFC3339Nano))
}

// appendEntryAt is appendEntry with e.Time already formatted (RFC 3339
// with nanoseconds): an invocation's lines share one time.
func appendEntryAt(b []byte, e *fn.LogEntry, at []byte) []byte {
	b = append(b, `{"time":"`...)
	b = append(b, at...)
	b = append(b, `","function":`...)
	b = appendString(b, e.Function)
	if e.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = appendString(b, e.RequestID)
	}
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but escaped by encoding/json
		// for JavaScript's sake; keep them as they are.
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
