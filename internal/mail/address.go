package mail

import (
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Limits of an address, RFC 5321's.
const (
	maxAddress = 254
	maxLocal   = 64
	maxDomain  = 253
)

// NormalizeRecipient checks a route's recipient, an address
// ("help@example.com") or a whole domain ("@example.com"), and returns it
// lower-cased: routes and recipients match without regard to case.
func NormalizeRecipient(s string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(s))
	if domain, ok := strings.CutPrefix(r, "@"); ok {
		if err := checkDomain(domain); err != nil {
			return "", fn.InvalidParameter("recipient %q: %v: a domain route is @DOMAIN, e.g. @example.com", s, err)
		}
		return r, nil
	}
	if _, err := normalizeAddress(r); err != nil {
		return "", fn.InvalidParameter("recipient %q: %v: use ADDRESS (help@example.com) or @DOMAIN (@example.com)", s, err)
	}
	return r, nil
}

// normalizeAddress checks an envelope address and lower-cases it.
func normalizeAddress(s string) (string, error) {
	a := strings.ToLower(s)
	if len(a) > maxAddress {
		return "", errorString("an address has at most 254 characters")
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 {
		return "", errorString("an address is LOCAL@DOMAIN")
	}
	local, domain := a[:at], a[at+1:]
	if len(local) > maxLocal {
		return "", errorString("the local part has at most 64 characters")
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' {
			return "", errorString("the local part has a space, a control character or one of < > ,")
		}
	}
	if err := checkDomain(domain); err != nil {
		return "", err
	}
	return a, nil
}

// checkDomain accepts a host name: dot-separated labels of letters,
// digits and hyphens (internationalized names in their xn-- form).
func checkDomain(d string) error {
	if d == "" || len(d) > maxDomain {
		return errorString("the domain is empty or longer than 253 characters")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errorString("the domain has an empty or malformed label")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return errorString("the domain has a character other than letters, digits, hyphens and dots")
			}
		}
	}
	return nil
}

// domainOf is the "@domain" route matching a normalized address.
func domainOf(addr string) string { return addr[strings.LastIndexByte(addr, '@'):] }

type errorString string

func (e errorString) Error() string { return string(e) }
