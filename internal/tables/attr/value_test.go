package attr

import (
	"encoding/json"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"S":"x"}`, `{"N":"1.50"}`, `{"B":"AQI="}`, `{"BOOL":false}`, `{"NULL":true}`,
		`{"M":{}}`, `{"L":[]}`, `{"M":{"a":{"L":[{"N":"1"},{"S":""}]}}}`,
		`{"SS":["a","b"]}`, `{"NS":["1","2"]}`, `{"BS":["AQ=="]}`,
	} {
		var v Value
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(v)
		if err != nil || string(out) != in {
			t.Errorf("%s → %s, %v", in, out, err)
		}
	}
	for _, bad := range []string{`{}`, `{"S":"a","N":"1"}`, `{"X":1}`, `{"NULL":false}`, `"s"`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
