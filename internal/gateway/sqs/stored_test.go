package sqs

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/updraft-dev/updraft/internal/event"
)

// TestStoredAttributesShared: what the SQS API stores as a message's
// attributes is what event source mappings read (event.SQSStored).
func TestStoredAttributesShared(t *testing.T) {
	s, trace := "v", "Root=1-abc"
	in := storedAttrs{
		Attrs:  map[string]msgAttr{"s": {DataType: "String", StringValue: &s}, "b": {DataType: "Binary.png", BinaryValue: []byte{1, 2}}},
		System: map[string]msgAttr{"AWSTraceHeader": {DataType: "String", StringValue: &trace}},
		Sender: "123456789012",
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := event.DecodeSQSStored(data)
	if err != nil {
		t.Fatal(err)
	}
	want := event.SQSStored{
		Attrs:  map[string]event.SQSStoredAttribute{"s": {DataType: "String", StringValue: &s}, "b": {DataType: "Binary.png", BinaryValue: []byte{1, 2}}},
		System: map[string]event.SQSStoredAttribute{"AWSTraceHeader": {DataType: "String", StringValue: &trace}},
		Sender: "123456789012",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	rec := got.RecordAttributes()
	if *rec["s"].StringValue != "v" || string(rec["b"].BinaryValue) != "\x01\x02" || rec["b"].DataType != "Binary.png" {
		t.Fatalf("record attributes %+v", rec)
	}
}
