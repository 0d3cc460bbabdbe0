package event

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-*.json from the constructors' output")

// generic decodes JSON into maps and slices, so two documents compare by
// content with exact key names.
func generic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON fails unless got encodes to the same document as testdata/name.
func sameJSON(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, name); !reflect.DeepEqual(generic(t, b), generic(t, want)) {
		t.Fatalf("%s differs:\n got %s\nwant %s", name, b, want)
	}
}

// golden compares got with testdata/golden-name.json, rewriting it under -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	compact, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	b := append(out.Bytes(), '\n')
	path := filepath.Join("testdata", "golden-"+name+".json")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("%s differs (go test -update rewrites it):\n got %s\nwant %s", path, b, want)
	}
}

// TestAWSExamplesRoundTrip decodes AWS's documented examples into the types,
// refusing unknown fields, and checks they encode back to the same document:
// every field name and its casing is AWS's.
func TestAWSExamplesRoundTrip(t *testing.T) {
	for name, v := range map[string]any{
		"aws-sqs-event.json":                     &SQSEvent{},
		"aws-sns-event.json":                     &SNSEvent{},
		"aws-sns-notification.json":              &SNSNotification{},
		"aws-sns-subscription-confirmation.json": &SNSNotification{},
		"aws-destination-record.json":            &DestinationRecord{},
	} {
		t.Run(name, func(t *testing.T) {
			dec := json.NewDecoder(bytes.NewReader(readFile(t, name)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatal(err)
			}
			sameJSON(t, name, v)
		})
	}
}

func TestNewSQSRecordMatchesAWSExample(t *testing.T) {
	ms := func(n int64) time.Time { return time.UnixMilli(n) }
	ev := SQSEvent{Records: []SQSMessage{
		NewSQSRecord(SQSRecordInput{
			MessageID:       "059f36b4-87a3-44ab-83d2-661975830a7d",
			ReceiptHandle:   "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
			Body:            "Test message.",
			Attributes:      map[string]SQSMessageAttribute{"myAttribute": StringAttribute("String", "myValue")},
			SenderID:        "AIDAIENQZJOLO23YVJ4VO",
			SentAt:          ms(1545082649183),
			FirstReceivedAt: ms(1545082649185),
			ReceiveCount:    1,
			QueueARN:        "arn:aws:sqs:us-east-2:123456789012:my-queue",
		}),
		NewSQSRecord(SQSRecordInput{
			MessageID:              "11d6ee51-4cc7-4302-9e22-7cd8afdaadf5",
			ReceiptHandle:          "AQEBBX8nesZEXmkhsmZeyIE8iQAMig7qw...",
			Body:                   "Test message.",
			SenderID:               "AIDAIO23YVJENQZJOL4VO",
			SentAt:                 ms(1573251510774),
			FirstReceivedAt:        ms(1573251510774),
			ReceiveCount:           1,
			QueueARN:               "arn:aws:sqs:us-east-2:123456789012:fifo.fifo",
			MessageGroupID:         "1",
			MessageDeduplicationID: "1",
			SequenceNumber:         "18849496460467696128",
		}),
	}}
	// AWS's example leaves md5OfMessageAttributes out of the record with an
	// attribute; SQS computes it, so the constructor fills it in.
	if got := ev.Records[0].MD5OfMessageAttributes; got == "" {
		t.Fatal("md5OfMessageAttributes is empty for a message with attributes")
	}
	ev.Records[0].MD5OfMessageAttributes = ""
	sameJSON(t, "aws-sqs-event.json", ev)
}

func TestNewSNSRecordMatchesAWSExample(t *testing.T) {
	in := SNSMessageInput{
		MessageID: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
		TopicARN:  "arn:aws:sns:us-east-1:123456789012:sns-lambda",
		Subject:   "TestInvoke",
		Message:   "Hello from SNS!",
		Timestamp: time.Date(2019, 1, 2, 12, 45, 7, 0, time.UTC),
		Attributes: map[string]SNSMessageAttribute{
			"Test":       {Type: "String", Value: "TestString"},
			"TestBinary": {Type: "Binary", Value: "TestBinary"},
		},
		Signature:      "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
		SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem",
		UnsubscribeURL: UnsubscribeURL("https://sns.us-east-1.amazonaws.com/", "arn:aws:sns:us-east-1:123456789012:test-lambda:21be56ed-a058-49f5-8c98-aedd2564c486"),
	}
	rec := NewSNSRecord(in, "arn:aws:sns:us-east-1:123456789012:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486")
	sameJSON(t, "aws-sns-event.json", SNSEvent{Records: []SNSEventRecord{rec}})
}

func TestNewSNSNotificationMatchesAWSExample(t *testing.T) {
	n := NewSNSNotification(SNSMessageInput{
		MessageID:      "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicARN:       "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:        "My First Message",
		Message:        "Hello world!",
		Timestamp:      time.Date(2012, 5, 2, 0, 54, 6, 655e6, time.UTC),
		Signature:      "EXAMPLEw6JRNwm1LFQL4ICB0bnXrdB8ClRMTQFGBqwLpGbM78tJ4etTwC5zU7O3tS6tGpey3ejedNdOJ+1fkIp9F2/LmNVKb5aFlYq+9rk9ZiPph5YlLmWsDcyC5T+Sy9/umic5S0UQc2PEtgdpVBahwNOdMW4JPwk0kAJJztnc=",
		SigningCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		UnsubscribeURL: UnsubscribeURL("https://sns.us-west-2.amazonaws.com/", "arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96"),
	})
	sameJSON(t, "aws-sns-notification.json", n)
}

func TestNewSubscriptionConfirmationMatchesAWSExample(t *testing.T) {
	c := NewSubscriptionConfirmation(ConfirmationInput{
		MessageID:      "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		TopicARN:       "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Token:          "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
		Endpoint:       "https://sns.us-west-2.amazonaws.com/",
		Timestamp:      time.Date(2012, 4, 26, 20, 45, 4, 751e6, time.UTC),
		Signature:      "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
		SigningCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
	})
	sameJSON(t, "aws-sns-subscription-confirmation.json", c)
}

func TestNewDestinationRecordMatchesAWSExample(t *testing.T) {
	rec := NewDestinationRecord(DestinationInput{
		RequestID:   "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
		FunctionARN: "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST",
		Condition:   ConditionRetriesExhausted,
		InvokeCount: 3,
		At:          time.Date(2019, 11, 14, 18, 16, 5, 568e6, time.UTC),
		Request:     []byte(`{"ORDER_IDS": ["9e07af03ce31a7xmpl48c8b9fc8d7d4c1d0f6d4a0c9d1a8f5d6f7b8e2e5b2f55", "637de236e01a43xmplcc9e1f5b4fb3a8f8e4b1d2c9e8d2b0f7a1c4d5e6f7a8b9"]}`),
		Response: &DestinationResponse{
			StatusCode:      200,
			ExecutedVersion: "$LATEST",
			FunctionError:   "Unhandled",
			Payload:         []byte(`{"errorMessage": "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request"}`),
		},
	})
	sameJSON(t, "aws-destination-record.json", rec)
}

// TestGolden pins the shapes AWS's examples do not show: binary and list
// attributes, a message without subject, success and expired records.
func TestGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 123e6, time.UTC)
	golden(t, "sqs-binary-attributes", NewSQSRecord(SQSRecordInput{
		MessageID: "m-1", ReceiptHandle: "r-1", Body: "derp",
		Attributes: map[string]SQSMessageAttribute{
			"aaa": BinaryAttribute("Binary", []byte{2, 3, 4}),
			"zzz": StringAttribute("Number", "0230.01"),
		},
		SenderID: "000000000001", SentAt: at, FirstReceivedAt: at.Add(time.Second), ReceiveCount: 2,
		QueueARN: "arn:aws:sqs:eu-west-1:000000000001:jobs", AWSTraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793",
	}))
	golden(t, "sns-record-no-subject", NewSNSRecord(SNSMessageInput{
		MessageID: "n-1", TopicARN: "arn:aws:sns:eu-west-1:000000000001:orders", Message: `{"id":7}`, Timestamp: at,
	}, "arn:aws:sns:eu-west-1:000000000001:orders:sub-1"))
	golden(t, "sns-notification-attributes", NewSNSNotification(SNSMessageInput{
		MessageID: "n-2", TopicARN: "arn:aws:sns:eu-west-1:000000000001:orders", Message: "hi", Timestamp: at,
		Attributes: map[string]SNSMessageAttribute{
			"tags":  {Type: "String.Array", Value: `["a","b"]`},
			"price": {Type: "Number", Value: "210.75"},
		},
		UnsubscribeURL: UnsubscribeURL("http://127.0.0.1:8080/", "arn:aws:sns:eu-west-1:000000000001:orders:sub-2"),
	}))
	golden(t, "destination-success", NewDestinationRecord(DestinationInput{
		RequestID: "req-1", FunctionARN: "arn:aws:lambda:eu-west-1:000000000001:function:resize:7",
		Condition: ConditionSuccess, InvokeCount: 1, At: at, Request: []byte(`{"key":"value"}`),
		Response: &DestinationResponse{StatusCode: 200, ExecutedVersion: "7", Payload: []byte("plain text, not JSON")},
	}))
	golden(t, "destination-event-age-exceeded", NewDestinationRecord(DestinationInput{
		RequestID: "req-2", FunctionARN: "arn:aws:lambda:eu-west-1:000000000001:function:resize:$LATEST",
		Condition: ConditionEventAgeExceeded, InvokeCount: 0, At: at, Request: []byte(`{"key":"value"}`),
	}))
}

func TestDynamoDBRecordGolden(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	golden(t, "dynamodb-modify", DynamoDBEvent{Records: []DynamoDBRecord{NewDynamoDBRecord(DynamoDBRecordInput{
		EventID: "c4ca4238a0b923820dcc509a6f75849b", EventName: "MODIFY", Region: "local",
		StreamARN:      "arn:aws:dynamodb:local:000000000001:table/users/stream/2026-01-02T03:04:05.000",
		Created:        created,
		Keys:           json.RawMessage(`{"id":{"S":"a"}}`),
		NewImage:       json.RawMessage(`{"id":{"S":"a"},"n":{"N":"2"}}`),
		OldImage:       json.RawMessage(`{"id":{"S":"a"},"n":{"N":"1"}}`),
		SequenceNumber: "000000000000000000042", SizeBytes: 26, ViewType: "NEW_AND_OLD_IMAGES",
	})}})
	golden(t, "dynamodb-ttl-remove", NewDynamoDBRecord(DynamoDBRecordInput{
		EventID: "e1", EventName: "REMOVE", Region: "local", StreamARN: "arn:aws:dynamodb:local:000000000001:table/t/stream/x",
		Created: created, Keys: json.RawMessage(`{"id":{"S":"a"}}`), SequenceNumber: "000000000000000000043",
		SizeBytes: 12, ViewType: "KEYS_ONLY", ByService: true,
	}))
}

func TestStreamFailureRecordGolden(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 21e6, time.UTC)
	golden(t, "dynamodb-stream-failure", NewStreamFailureRecord(StreamFailureInput{
		RequestID: "316aa6d0-8154-4f6c-9af7-85d5f4a6bc81", FunctionARN: "arn:aws:lambda:local:000000000001:function:f",
		Condition: ConditionRetryAttemptsExhausted, Invokes: 3,
		Response: &DestinationResponse{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		At:       at, ShardID: "shardId-00000000000000000001-00000001",
		FirstSeq: "000000000000000000007", LastSeq: "000000000000000000009",
		FirstArrival: at.Add(-2 * time.Second), LastArrival: at.Add(-time.Second), BatchSize: 2,
		StreamARN: "arn:aws:dynamodb:local:000000000001:table/t/stream/2026-01-02T03:04:05.000",
	}))
}
