package main

import (
	"strings"
	"testing"
)

func TestParseSignup(t *testing.T) {
	for body, want := range map[string]string{
		`{"email":"ada@example.com","name":"Ada"}`:                              "",
		`{"email":"ada@example.com"}`:                                           "",
		`{"name":"Ada"}`:                                                        "is not an email address",
		`{"email":"Ada <ada@example.com>"}`:                                     "is not an email address",
		`{"email":"ada@example.com","id":"x"}`:                                  "id is chosen by the service",
		`{"email":"ada@example.com","age":3}`:                                   `unknown field "age"`,
		`{"email":"ada@example.com","name":"` + strings.Repeat("a", 101) + `"}`: "at most 100",
		`nope`: "must be a JSON object",
	} {
		_, err := parseSignup(body)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
}
