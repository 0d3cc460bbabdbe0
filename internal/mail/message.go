package mail

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"

	"github.com/updraft-dev/updraft/internal/event"
)

// maxEventHeaders bounds the headers an event carries (names and values);
// beyond it the event says headersTruncated, as SES does.
const maxEventHeaders = 10 << 10

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
	h := &header{}
	var all []event.SESHeader
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
			if len(all) == 0 {
				return nil, fmt.Errorf("%w: the message starts with a folded (indented) line, not a header", errMalformed)
			}
			all[len(all)-1].Value += string(line)
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !fieldName(line[:colon]) {
			return nil, fmt.Errorf("%w: header line %q is not Name: value", errMalformed, clip(line))
		}
		all = append(all, event.SESHeader{Name: string(line[:colon]), Value: string(line[colon+1:])})
	}
	size := 0
	for i := range all {
		all[i].Value = strings.TrimSpace(all[i].Value)
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
		Date: first["date"], MessageID: first["message-id"], Subject: decodeWords(first["subject"]),
	}
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
	list, err := addrParser.ParseList(v)
	if err != nil {
		return []string{decodeWords(v)}
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		if a.Name != "" {
			out = append(out, a.Name+" <"+a.Address+">")
		} else {
			out = append(out, a.Address)
		}
	}
	return out
}
