package event

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestReadableByAWSLambdaGo checks that a Go function built on
// aws-lambda-go's events package decodes Updraft's events.
func TestReadableByAWSLambdaGo(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)
	sqsRec := NewSQSRecord(SQSRecordInput{
		MessageID: "m-1", ReceiptHandle: "r-1", Body: "hello",
		Attributes: map[string]SQSMessageAttribute{"a": StringAttribute("String", "b")},
		SentAt:     at, FirstReceivedAt: at, ReceiveCount: 1,
		QueueARN: "arn:aws:sqs:eu-west-1:000000000001:jobs",
	})
	b, err := Encode(SQSEvent{Records: []SQSMessage{sqsRec}})
	if err != nil {
		t.Fatal(err)
	}
	var sqsEv events.SQSEvent
	if err := json.Unmarshal(b, &sqsEv); err != nil {
		t.Fatal(err)
	}
	r := sqsEv.Records[0]
	if r.MessageId != "m-1" || r.Body != "hello" || r.EventSource != "aws:sqs" || r.AWSRegion != "eu-west-1" ||
		r.Md5OfBody != MD5OfBody("hello") || *r.MessageAttributes["a"].StringValue != "b" ||
		r.Attributes["SentTimestamp"] != "1772353800123" {
		t.Fatalf("aws-lambda-go read %+v", r)
	}

	snsRec := NewSNSRecord(SNSMessageInput{
		MessageID: "n-1", TopicARN: "arn:aws:sns:eu-west-1:000000000001:orders", Subject: "s", Message: "m",
		Timestamp: at, SigningCertURL: "http://127.0.0.1/cert.pem", UnsubscribeURL: "http://127.0.0.1/?Action=Unsubscribe",
		Attributes: map[string]SNSMessageAttribute{"k": {Type: "String", Value: "v"}},
	}, "arn:aws:sns:eu-west-1:000000000001:orders:sub")
	if b, err = Encode(SNSEvent{Records: []SNSEventRecord{snsRec}}); err != nil {
		t.Fatal(err)
	}
	var snsEv events.SNSEvent
	if err := json.Unmarshal(b, &snsEv); err != nil {
		t.Fatal(err)
	}
	s := snsEv.Records[0].SNS
	if !s.Timestamp.Equal(at) || s.MessageID != "n-1" || s.Subject != "s" || s.SigningCertURL != "http://127.0.0.1/cert.pem" ||
		s.UnsubscribeURL == "" || snsEv.Records[0].EventSource != "aws:sns" {
		t.Fatalf("aws-lambda-go read %+v", snsEv.Records[0])
	}
}
