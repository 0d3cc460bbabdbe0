package main

import (
	"strings"
	"testing"
)

func TestParseItem(t *testing.T) {
	for body, want := range map[string]string{
		`{"name":"lamp","price":12.5,"tags":["home"]}`: "",
		`{"name":"free","price":0}`:                    "",
		`{"price":1}`:                                  "name is required",
		`{"name":"  ","price":1}`:                      "name is required",
		`{"name":"x"}`:                                 "price is required",
		`{"name":"x","price":-1}`:                      "price -1 is negative",
		`{"name":"x","price":"1"}`:                     "must be a JSON object",
		`{"name":"x","price":1,"color":"red"}`:         `unknown field "color"`,
		`[1]`:                                          "must be a JSON object",
		`{"name":"` + strings.Repeat("n", 101) + `","price":1}`:                         "at most 100",
		`{"name":"x","price":1,"tags":["1","2","3","4","5","6","7","8","9","10","11"]}`: "11 tags",
	} {
		it, err := parseItem(body)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", body, err)
		case want == "" && it.Name == "":
			t.Errorf("%s: no name in %+v", body, it)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want one with %q", body, err, want)
		}
	}
}

func TestItemRoundTrip(t *testing.T) {
	it := Item{ID: "1", Name: "lamp", Price: 12.5, Tags: []string{"home", "light"}, Owner: "ada"}
	got := unmarshal(marshal(it))
	if got.ID != it.ID || got.Name != it.Name || got.Price != it.Price || got.Owner != it.Owner || strings.Join(got.Tags, ",") != "home,light" {
		t.Fatalf("round trip: %+v, want %+v", got, it)
	}
}
