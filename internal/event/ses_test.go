package event

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func sesInput() SESInput {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)
	return SESInput{
		MessageID: "k3v9q2m7x1c4b8n5z0a6s2d4f7g1h3j5",
		Received:  at, Processed: at.Add(42 * time.Millisecond),
		Source:      "jane@example.org",
		Destination: []string{"help@tickets.example.com", "sales@example.com"},
		Recipients:  []string{"help@tickets.example.com"},
		Headers: []SESHeader{
			{Name: "Return-Path", Value: "<jane@example.org>"},
			{Name: "From", Value: "Jane Doe <jane@example.org>"},
			{Name: "To", Value: "help@tickets.example.com, sales@example.com"},
			{Name: "Subject", Value: "Printer on fire"},
		},
		CommonHeaders: SESCommonHeaders{
			From: []string{"Jane Doe <jane@example.org>"}, To: []string{"help@tickets.example.com", "sales@example.com"},
			Date: "Sun, 1 Mar 2026 08:29:59 +0000", MessageID: "<1@example.org>", Subject: "Printer on fire",
		},
		FunctionARN: "arn:aws:lambda:local:000000000001:function:tickets:live",
		BucketName:  "MAIL_MESSAGES", ObjectKey: "k3v9q2m7x1c4b8n5z0a6s2d4f7g1h3j5",
	}
}

func TestSESRecordGolden(t *testing.T) {
	golden(t, "ses-lambda-event", SESEvent{Records: []SESEventRecord{NewSESRecord(sesInput())}})
	in := sesInput()
	in.Source, in.Headers, in.CommonHeaders, in.HeadersTruncated = "", nil, SESCommonHeaders{}, true
	golden(t, "ses-bounce-no-headers", SESEvent{Records: []SESEventRecord{NewSESRecord(in)}})
}

// TestSESExampleRoundTrip decodes AWS's documented shape into the types,
// refusing unknown fields, and checks it encodes back to the same document.
func TestSESExampleRoundTrip(t *testing.T) {
	raw := readFile(t, "aws-ses-event.json")
	var ev SESEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "aws-ses-event.json", ev)
}

// TestSESReadableByAWSLambdaGo checks a Go function on aws-lambda-go reads
// the record, the stored message's location included.
func TestSESReadableByAWSLambdaGo(t *testing.T) {
	b, err := Encode(SESEvent{Records: []SESEventRecord{NewSESRecord(sesInput())}})
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SimpleEmailEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	r := ev.Records[0]
	m, rc := r.SES.Mail, r.SES.Receipt
	if r.EventSource != "aws:ses" || m.CommonHeaders.Subject != "Printer on fire" || m.Source != "jane@example.org" ||
		m.CommonHeaders.ReturnPath != "jane@example.org" || len(m.Headers) != 4 || rc.Recipients[0] != "help@tickets.example.com" ||
		rc.SpamVerdict.Status != "DISABLED" || rc.Action.Type != "Lambda" || rc.Action.InvocationType != "Event" ||
		rc.Action.ObjectKey != m.MessageID || rc.Action.BucketName != "MAIL_MESSAGES" || rc.ProcessingTimeMillis != 42 ||
		!m.Timestamp.Equal(time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)) {
		t.Fatalf("aws-lambda-go read %+v", r)
	}
}
