package mail

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/updraft-dev/updraft/internal/event"
)

// maxEventHeaders bounds the headers an event carries (names and values);
// beyond it the event says headersTruncated, as SES does.
const maxEventHeaders = 10 << 10

// Bounds of the common headers, so that an event stays far below the
// 1 MB of an asynchronous invocation whatever the message: a value keeps
// its first maxCommonValue bytes, an address list its first
// maxListEntries entries of at most maxEntry bytes each.
const (
	maxCommonValue = 2048
	maxListEntries = 50
	maxEntry       = 256
	maxListParse   = 4 * maxListEntries * maxEntry
)

// errMalformed marks a message whose header section cannot be read; the
// SMTP session refuses it with 554 5.6.0.
var errMalformed = errors.New("malformed message")

// header is what an event tells of a message's header section.
type header struct {
	headers   []event.SESHeader
	truncated bool
	common    event.SESCommonHeaders
}

// parseHeader reads the header section of raw (RFC 5322: "Name: value"
// lines, folded lines unfolded, up to the first empty line or the end).
func parseHeader(raw []byte) (*header, error) {
	type field struct {
		name  string
		value []byte // unfolded: continuation lines appended (linear, not quadratic)
	}
	var fields []field
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the body follows
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return nil, fmt.Errorf("%w: the message starts with a folded (indented) line, not a header", errMalformed)
			}
			last := &fields[len(fields)-1]
			last.value = append(last.value, line...)
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !fieldName(line[:colon]) {
			return nil, fmt.Errorf("%w: header line %q is not Name: value", errMalformed, clip(line))
		}
		fields = append(fields, field{name: string(line[:colon]), value: append([]byte(nil), line[colon+1:]...)})
	}
	h := &header{}
	all := make([]event.SESHeader, len(fields))
	size := 0
	for i, f := range fields {
		all[i] = event.SESHeader{Name: f.name, Value: string(bytes.TrimSpace(f.value))}
		if size += len(all[i].Name) + len(all[i].Value); size > maxEventHeaders {
			h.truncated = true
		} else {
			h.headers = append(h.headers, all[i])
		}
	}
	h.common = commonHeaders(all)
	return h, nil
}

// fieldName: printable ASCII but the colon and space (RFC 5322 ftext).
func fieldName(b []byte) bool {
	for _, c := range b {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

var words = &mime.WordDecoder{}

// commonHeaders picks the headers SES reads out: the first of each.
func commonHeaders(all []event.SESHeader) event.SESCommonHeaders {
	first := map[string]string{}
	for _, h := range all {
		k := strings.ToLower(h.Name)
		if _, ok := first[k]; !ok {
			first[k] = h.Value
		}
	}
	return event.SESCommonHeaders{
		From: addresses(first["from"]), To: addresses(first["to"]), Cc: addresses(first["cc"]),
		Bcc: addresses(first["bcc"]), Sender: addresses(first["sender"]), ReplyTo: addresses(first["reply-to"]),
		Date: clipValue(first["date"], maxCommonValue), MessageID: clipValue(first["message-id"], maxCommonValue),
		Subject: clipValue(decodeWords(clipValue(first["subject"], 4*maxCommonValue)), maxCommonValue),
	}
}

// clipValue cuts s to at most n bytes, at a character boundary.
func clipValue(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// decodeWords decodes RFC 2047 encoded words ("=?UTF-8?B?…?="); text it
// cannot decode stays as it came.
func decodeWords(s string) string {
	d, err := words.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

var addrParser = &mail.AddressParser{WordDecoder: words}

// addresses splits an address list into "Name <addr>" or "addr" entries;
// a list it cannot parse is kept whole as one entry.
func addresses(v string) []string {
	if v == "" {
		return nil
	}
	if len(v) > maxListParse {
		// Only the first entries are kept: parse about as much as they
		// need, cut after an address's comma.
		if i := strings.LastIndexByte(v[:maxListParse], ','); i > 0 {
			v = v[:i]
		}
	}
	list, err := addrParser.ParseList(v)
	if err != nil {
		return []string{clipValue(decodeWords(v), maxEntry)}
	}
	out := make([]string, 0, min(len(list), maxListEntries))
	for _, a := range list[:min(len(list), maxListEntries)] {
		e := a.Address
		if a.Name != "" {
			e = a.Name + " <" + a.Address + ">"
		}
		out = append(out, clipValue(e, maxEntry))
	}
	return out
}
