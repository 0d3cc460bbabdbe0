package event

import (
	"reflect"
	"testing"
)

// TestBatchItemFailures follows Lambda's documented rules for partial batch
// responses ("Handling errors for an SQS event source").
func TestBatchItemFailures(t *testing.T) {
	batch := []string{"m1", "m2", "m3"}
	cases := []struct {
		name     string
		response string
		want     []string
		wantErr  bool
	}{
		{"empty response is success", ``, nil, false},
		{"null response is success", `null`, nil, false},
		{"empty object is success", `{}`, nil, false},
		{"null list is success", `{"batchItemFailures": null}`, nil, false},
		{"empty list is success", `{"batchItemFailures": []}`, nil, false},
		{"non-object result is success", `"done"`, nil, false},
		{"listed items fail", `{"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}, {"itemIdentifier": "m2"}]}`, []string{"m2", "m3"}, false},
		{"invalid JSON fails the batch", `{"batchItemFailures": [`, batch, true},
		{"empty itemIdentifier fails the batch", `{"batchItemFailures": [{"itemIdentifier": ""}]}`, batch, true},
		{"null itemIdentifier fails the batch", `{"batchItemFailures": [{"itemIdentifier": null}]}`, batch, true},
		{"misnamed key fails the batch", `{"batchItemFailures": [{"itemId": "m1"}]}`, batch, true},
		{"unknown message id fails the batch", `{"batchItemFailures": [{"itemIdentifier": "m9"}]}`, batch, true},
		{"list of strings fails the batch", `{"batchItemFailures": ["m1"]}`, batch, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := BatchItemFailures([]byte(c.response), batch)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("failed = %v, want %v", got, c.want)
			}
		})
	}
}
