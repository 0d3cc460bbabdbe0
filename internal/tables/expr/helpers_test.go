package expr

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// item reads an item from DynamoDB JSON.
func item(t *testing.T, s string) attr.Item {
	t.Helper()
	if s == "" {
		return nil
	}
	var it attr.Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		t.Fatalf("item %s: %v", s, err)
	}
	return it
}

// vals reads ExpressionAttributeValues from DynamoDB JSON.
func vals(t *testing.T, s string) Values {
	t.Helper()
	return Values(item(t, s))
}

// testValues are the placeholders the table tests share.
const testValues = `{
	":one": {"N": "1"}, ":onezero": {"N": "1.0"}, ":two": {"N": "2"}, ":ten": {"N": "10"},
	":big": {"N": "123456789012345678901234567890.123"}, ":big2": {"N": "123456789012345678901234567890.124"},
	":s": {"S": "hello"}, ":he": {"S": "he"}, ":x": {"S": "x"}, ":b": {"B": "AQI="}, ":b1": {"B": "AQ=="},
	":t": {"BOOL": true}, ":null": {"NULL": true},
	":tS": {"S": "S"}, ":tN": {"S": "N"}, ":tL": {"S": "L"}, ":tM": {"S": "M"}, ":tSS": {"S": "SS"}, ":tNS": {"S": "NS"},
	":tBad": {"S": "STRING"},
	":l": {"L": [{"S": "x"}]}, ":l2": {"L": [{"N": "7"}, {"N": "8"}]}, ":m": {"M": {"k": {"S": "v"}}},
	":ss": {"SS": ["a", "b"]}, ":ss2": {"SS": ["b", "c"]}, ":ns": {"NS": ["1", "2.0"]}, ":ns3": {"NS": ["3"]}, ":bs": {"BS": ["AQ=="]}
}`

// wantErr checks err is a ValidationException containing msg.
func wantErr(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", what, msg)
		return
	}
	e := fn.AsError(err)
	if e.Status != 400 || e.Type != fn.TypeValidation || !strings.Contains(e.Message, msg) {
		t.Errorf("%s: %d %s %q, want ValidationException %q", what, e.Status, e.Type, e.Message, msg)
	}
}
