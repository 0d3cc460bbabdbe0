package mail

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
)

func TestParseHeader(t *testing.T) {
	raw := "Return-Path: <jane@example.org>\r\n" +
		"From: =?UTF-8?Q?Jane_D=C3=B6e?= <jane@example.org>\r\n" +
		"To: help@example.com,\r\n \"Sales Team\" <sales@example.com>\r\n" +
		"Cc: not an address list\r\n" +
		"Subject: =?UTF-8?B?UHJpbnRlciDwn5SlIG9uIGZpcmU=?=\r\n" +
		"Date: Sun, 1 Mar 2026 08:29:59 +0000\r\n" +
		"Message-ID: <1@example.org>\r\n" +
		"X-Folded: one\r\n\ttwo\r\n" +
		"\r\n" +
		"Body: not a header\r\n"
	h, err := parseHeader([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := []event.SESHeader{
		{Name: "Return-Path", Value: "<jane@example.org>"},
		{Name: "From", Value: "=?UTF-8?Q?Jane_D=C3=B6e?= <jane@example.org>"},
		{Name: "To", Value: "help@example.com, \"Sales Team\" <sales@example.com>"},
		{Name: "Cc", Value: "not an address list"},
		{Name: "Subject", Value: "=?UTF-8?B?UHJpbnRlciDwn5SlIG9uIGZpcmU=?="},
		{Name: "Date", Value: "Sun, 1 Mar 2026 08:29:59 +0000"},
		{Name: "Message-ID", Value: "<1@example.org>"},
		{Name: "X-Folded", Value: "one\ttwo"},
	}
	if !reflect.DeepEqual(h.headers, wantHeaders) || h.truncated {
		t.Fatalf("headers %q truncated %v", h.headers, h.truncated)
	}
	want := event.SESCommonHeaders{
		From: []string{"Jane Döe <jane@example.org>"}, To: []string{"help@example.com", "Sales Team <sales@example.com>"},
		Cc: []string{"not an address list"}, Subject: "Printer 🔥 on fire",
		Date: "Sun, 1 Mar 2026 08:29:59 +0000", MessageID: "<1@example.org>",
	}
	if !reflect.DeepEqual(h.common, want) {
		t.Fatalf("common headers\n got %+v\nwant %+v", h.common, want)
	}
}

func TestParseHeaderTruncatesBeyond10KB(t *testing.T) {
	var b strings.Builder
	for range 30 {
		b.WriteString("X-Pad: " + strings.Repeat("p", 500) + "\r\n")
	}
	b.WriteString("Subject: last\r\n\r\nbody")
	h, err := parseHeader([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !h.truncated || len(h.headers) != 20 || h.common.Subject != "last" {
		t.Fatalf("truncated %v, %d headers, subject %q", h.truncated, len(h.headers), h.common.Subject)
	}
}

// A huge header section still makes a small event.
func TestParseHeaderBoundsCommonHeaders(t *testing.T) {
	var to strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&to, " \"%s\" <r%d@example.com>,\r\n", strings.Repeat("n", 400), i)
	}
	raw := "To:" + strings.TrimSuffix(to.String(), ",\r\n") + "\r\nSubject: " + strings.Repeat("é", 100000) + "\r\n\r\n"
	h, err := parseHeader([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.common.To) != maxListEntries || len(h.common.To[0]) != maxEntry || len(h.common.Subject) != maxCommonValue || !h.truncated {
		t.Fatalf("%d to, first %d bytes, subject %d bytes, truncated %v", len(h.common.To), len(h.common.To[0]), len(h.common.Subject), h.truncated)
	}
	if !utf8.ValidString(h.common.Subject) {
		t.Fatal("the subject was cut inside a character")
	}
}

func TestParseHeaderRefusesMalformed(t *testing.T) {
	for _, raw := range []string{
		" folded first: x\r\n\r\n",
		"no colon here\r\n\r\n",
		": empty name\r\n",
		"Bad Name: x\r\n",
		"Subject: ok\r\nthen garbage\r\n",
	} {
		if _, err := parseHeader([]byte(raw)); !errors.Is(err, errMalformed) {
			t.Errorf("%q: %v, want malformed", raw, err)
		}
	}
	// No header at all (the data starts with the empty line) and no body
	// at all are well-formed.
	for _, raw := range []string{"\r\nbody only", "Subject: x", ""} {
		if _, err := parseHeader([]byte(raw)); err != nil {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

// FuzzParseHeader: any input is parsed or refused as malformed, never a
// panic, and what is parsed fits the event's limits.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"From: a@b.c\r\nTo: x@y.z\r\nSubject: =?UTF-8?B?aGk=?=\r\n\r\nhi",
		"To: \"unterminated <a@b\r\n\r\n",
		"Subject: =?bogus?Q?=ZZ?=\n\tfold\n\nx",
		"\x00\xff: \xfe\r\n",
		"From: <>\r\nReply-To: group: a@b.c, d@e.f;\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := parseHeader(raw)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error not marked malformed: %v", err)
			}
			return
		}
		size := 0
		for _, x := range h.headers {
			size += len(x.Name) + len(x.Value)
		}
		if size > maxEventHeaders {
			t.Fatalf("%d bytes of headers in the event", size)
		}
		b, err := event.Encode(event.SESEvent{Records: []event.SESEventRecord{event.NewSESRecord(event.SESInput{Headers: h.headers, CommonHeaders: h.common})}})
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > fn.MaxAsyncPayload/4 {
			t.Fatalf("an event of %d bytes", len(b))
		}
	})
}

func TestNormalizeRecipient(t *testing.T) {
	for in, want := range map[string]string{
		"Help@Example.COM":          "help@example.com",
		" @Support.example.com ":    "@support.example.com",
		"a+tag@xn--bcher-kva.ch":    "a+tag@xn--bcher-kva.ch",
		"\"odd\"@example.com":       "\"odd\"@example.com",
		"x@localhost":               "x@localhost",
		"first.last@sub.example.io": "first.last@sub.example.io",
	} {
		got, err := NormalizeRecipient(in)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "@", "example.com", "@-bad.com", "a@", "@exa mple.com", "a b@example.com",
		"a@exam_ple.com", "a@example..com", strings.Repeat("l", 65) + "@example.com", "<a>@example.com"} {
		if _, err := NormalizeRecipient(in); err == nil || !strings.Contains(err.Error(), "ADDRESS") && !strings.Contains(err.Error(), "@DOMAIN") {
			t.Errorf("%q accepted or unclear: %v", in, err)
		}
	}
}
