package wire

import (
	"encoding/json"
	"testing"
)

func TestParseCORS(t *testing.T) {
	for raw, ok := range map[string]bool{
		``: true, `null`: true, `{}`: true,
		`{"AllowOrigins":["https://a"],"AllowMethods":["GET","PUT","HEAD","POST","PATCH","DELETE"],"MaxAge":86400}`: true,
		`{"AllowMethods":["GET","PUT","HEAD","POST","PATCH","DELETE","*"]}`:                                         false,
		`{"AllowMethods":["get"]}`: false,
		`{"MaxAge":-1}`:            false,
		`{"AllowOrigin":["*"]}`:    false,
		`{"ExposeHeaders":[""]}`:   false,
		`[1]`:                      false,
	} {
		if _, err := ParseCORS(json.RawMessage(raw)); (err == nil) != ok {
			t.Errorf("ParseCORS(%s): %v", raw, err)
		}
	}
}
