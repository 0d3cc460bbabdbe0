package sqs

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestReadQuery: form fields become the JSON protocol's input shape:
// lists in index order (10 after 9), maps by Name/Value and Key/Value,
// nested entries, integers as numbers.
func TestReadQuery(t *testing.T) {
	form := url.Values{
		"Action":                            {"SendMessageBatch"},
		"Version":                           {"2012-11-05"},
		"QueueUrl":                          {"http://h/000000000000/q"},
		"AttributeName.10":                  {"B"},
		"AttributeName.9":                   {"A"},
		"Attribute.1.Name":                  {"VisibilityTimeout"},
		"Attribute.1.Value":                 {"40"},
		"Tag.1.Key":                         {"team"},
		"Tag.1.Value":                       {"x"},
		"MaxNumberOfMessages":               {"5"},
		"SendMessageBatchRequestEntry.2.Id": {"second"},
		"SendMessageBatchRequestEntry.2.DelaySeconds":                         {"7"},
		"SendMessageBatchRequestEntry.1.Id":                                   {"first"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name":              {"k"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType":    {"Binary"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue": {"AAE="},
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	action, in, err := readQuery(r)
	if err != nil || action != "SendMessageBatch" {
		t.Fatalf("readQuery: %q %v", action, err)
	}
	var got struct {
		QueueURL            string `json:"QueueUrl"`
		AttributeNames      []string
		Attributes          map[string]string
		Tags                map[string]string
		MaxNumberOfMessages int
		Entries             []sendIn
		Version             *string
	}
	if err := json.Unmarshal(in, &got); err != nil {
		t.Fatalf("%v in %s", err, in)
	}
	if got.QueueURL != "http://h/000000000000/q" || strings.Join(got.AttributeNames, ",") != "A,B" || got.Attributes["VisibilityTimeout"] != "40" ||
		got.Tags["team"] != "x" || got.MaxNumberOfMessages != 5 || got.Version != nil {
		t.Fatalf("converted: %s", in)
	}
	if len(got.Entries) != 2 || got.Entries[0].ID != "first" || got.Entries[1].ID != "second" || *got.Entries[1].DelaySeconds != 7 ||
		string(got.Entries[0].MessageAttributes["k"].BinaryValue) != "\x00\x01" {
		t.Fatalf("entries: %s", in)
	}

	for _, bad := range []url.Values{
		{"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"many"}},
		{"Action": {"GetQueueAttributes"}, "AttributeName.x": {"All"}},
		{"Action": {"CreateQueue"}, "Attribute.1.Value": {"40"}},
		{"QueueUrl": {"q"}},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(bad.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, _, err := readQuery(r); err == nil || apiError(err).Status != 400 {
			t.Errorf("readQuery(%s) = %v, want a 400", bad.Encode(), err)
		}
	}
}
