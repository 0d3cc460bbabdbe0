package main

import (
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	text, err := render(Welcome{To: "ada@example.com", Name: "Ada Lovelace", Subject: "Welcome aboard!", UserID: "u-1"}, "team@example.com", at)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(text)))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, text)
	}
	if to := m.Header.Get("To"); to != `"Ada Lovelace" <ada@example.com>` {
		t.Errorf("To %q", to)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(at) {
		t.Errorf("Date %v %v", d, err)
	}
	if !strings.Contains(string(text), "Hello Ada Lovelace,") || m.Header.Get("Subject") != "Welcome aboard!" {
		t.Errorf("message:\n%s", text)
	}
	if _, err := render(Welcome{To: "ada@example.com"}, "team@example.com", at); err == nil {
		t.Error("a welcome without userId rendered")
	}
}
