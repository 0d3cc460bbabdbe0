package queue

import (
	"slices"
	"strings"
)

// Subjects, consumer names and definition keys are built from tokens:
// letters, digits, '-' and '_' stay as they are; every other byte becomes
// '=' and two hex digits, so a token never holds NATS's separators ('.',
// '*', '>') or whitespace, is a valid key-value key, and decoding is exact.
func token(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func untoken(t string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '=' {
			b.WriteByte(t[i])
			continue
		}
		if i+2 >= len(t) {
			return "", false
		}
		hi, ok1 := unhex(t[i+1])
		lo, ok2 := unhex(t[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func readySubject(id ID) string { return readyPrefix + token(id.Tenant) + "." + token(id.Name) }
func delaySubject(id ID) string { return delayPrefix + token(id.Tenant) + "." + token(id.Name) }
func defKey(id ID) string       { return token(id.Tenant) + "." + token(id.Name) }

// consumerName is the queue's durable consumer, "q~TENANT~NAME": a
// token never holds '~', so distinct ids never share a name.
func consumerName(id ID) string { return "q~" + token(id.Tenant) + "~" + token(id.Name) }

func parseDefKey(k string) (ID, bool) {
	t, n, ok := strings.Cut(k, ".")
	if !ok {
		return ID{}, false
	}
	tenant, ok1 := untoken(t)
	name, ok2 := untoken(n)
	return ID{Tenant: tenant, Name: name}, ok1 && ok2
}

// idOfSubject maps a ready or delayed subject back to its queue.
func idOfSubject(subj string) (ID, bool) {
	for _, p := range []string{readyPrefix, delayPrefix} {
		if rest, ok := strings.CutPrefix(subj, p); ok {
			return parseDefKey(rest)
		}
	}
	return ID{}, false
}

func sortIDs(ids []ID) {
	slices.SortFunc(ids, func(a, b ID) int {
		if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}
