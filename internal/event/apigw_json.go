package event

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends e as Encode writes it, without reflection: the routes
// listener builds one event per request, and this is its hot path.
// TestHTTPRequestAppendJSONMatchesEncode keeps the two byte-identical.
func (e *HTTPRequest) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"version":`...)
	b = appendString(b, e.Version)
	if e.Type != "" {
		b = appendString(append(b, `,"type":`...), e.Type)
	}
	if e.RouteArn != "" {
		b = appendString(append(b, `,"routeArn":`...), e.RouteArn)
	}
	if len(e.IdentitySource) > 0 {
		b = appendStrings(append(b, `,"identitySource":`...), e.IdentitySource)
	}
	b = appendString(append(b, `,"routeKey":`...), e.RouteKey)
	b = appendString(append(b, `,"rawPath":`...), e.RawPath)
	b = appendString(append(b, `,"rawQueryString":`...), e.RawQueryString)
	if len(e.Cookies) > 0 {
		b = appendStrings(append(b, `,"cookies":`...), e.Cookies)
	}
	b = appendMap(append(b, `,"headers":`...), e.Headers)
	if len(e.QueryStringParameters) > 0 {
		b = appendMap(append(b, `,"queryStringParameters":`...), e.QueryStringParameters)
	}
	if len(e.PathParameters) > 0 {
		b = appendMap(append(b, `,"pathParameters":`...), e.PathParameters)
	}
	c := &e.RequestContext
	b = appendString(append(b, `,"requestContext":{"accountId":`...), c.AccountID)
	b = appendString(append(b, `,"apiId":`...), c.APIID)
	if a := c.Authorizer; a != nil {
		b = append(b, `,"authorizer":{`...)
		if a.JWT != nil {
			b = appendMap(append(b, `"jwt":{"claims":`...), a.JWT.Claims)
			b = append(b, `,"scopes":`...)
			if a.JWT.Scopes == nil {
				b = append(b, "null"...)
			} else {
				b = appendStrings(b, a.JWT.Scopes)
			}
			b = append(b, '}')
		}
		if len(a.Lambda) > 0 {
			if a.JWT != nil {
				b = append(b, ',')
			}
			l, err := Encode(a.Lambda)
			if err != nil {
				return nil, err
			}
			b = append(append(b, `"lambda":`...), l...)
		}
		b = append(b, '}')
	}
	b = appendString(append(b, `,"domainName":`...), c.DomainName)
	b = appendString(append(b, `,"domainPrefix":`...), c.DomainPrefix)
	b = appendString(append(b, `,"http":{"method":`...), c.HTTP.Method)
	b = appendString(append(b, `,"path":`...), c.HTTP.Path)
	b = appendString(append(b, `,"protocol":`...), c.HTTP.Protocol)
	b = appendString(append(b, `,"sourceIp":`...), c.HTTP.SourceIP)
	b = appendString(append(b, `,"userAgent":`...), c.HTTP.UserAgent)
	b = appendString(append(b, `},"requestId":`...), c.RequestID)
	b = appendString(append(b, `,"routeKey":`...), c.RouteKey)
	b = appendString(append(b, `,"stage":`...), c.Stage)
	b = appendString(append(b, `,"time":`...), c.Time)
	b = strconv.AppendInt(append(b, `,"timeEpoch":`...), c.TimeEpoch, 10)
	b = append(b, '}')
	if e.Body != "" {
		b = appendString(append(b, `,"body":`...), e.Body)
	}
	b = strconv.AppendBool(append(b, `,"isBase64Encoded":`...), e.IsBase64Encoded)
	return append(b, '}'), nil
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendMap writes m with its keys sorted, as encoding/json does (nil is
// null).
func appendMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as encoding/json does without HTML escaping:
// quotes, backslashes and control characters escaped, invalid UTF-8 as
// U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
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
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
