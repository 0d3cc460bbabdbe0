package event

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQSEvent is the event Lambda passes a function for a batch of queue
// messages.
type SQSEvent struct {
	Records []SQSMessage `json:"Records"`
}

// SQSMessage is one record of an SQSEvent.
type SQSMessage struct {
	MessageID              string                         `json:"messageId"`
	ReceiptHandle          string                         `json:"receiptHandle"`
	Body                   string                         `json:"body"`
	Attributes             map[string]string              `json:"attributes"`
	MessageAttributes      map[string]SQSMessageAttribute `json:"messageAttributes"`
	MD5OfBody              string                         `json:"md5OfBody"`
	MD5OfMessageAttributes string                         `json:"md5OfMessageAttributes,omitempty"`
	EventSource            string                         `json:"eventSource"`
	EventSourceARN         string                         `json:"eventSourceARN"`
	AWSRegion              string                         `json:"awsRegion"`
}

// SQSMessageAttribute is a message attribute in Lambda's casing. Binary
// values travel base64-encoded, as encoding/json encodes []byte.
type SQSMessageAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// MarshalJSON writes the list fields as [] rather than null, as Lambda does.
func (a SQSMessageAttribute) MarshalJSON() ([]byte, error) {
	type plain SQSMessageAttribute
	p := plain(a)
	if p.StringListValues == nil {
		p.StringListValues = []string{}
	}
	if p.BinaryListValues == nil {
		p.BinaryListValues = [][]byte{}
	}
	return json.Marshal(p)
}

// StringAttribute and BinaryAttribute build message attributes; dataType is
// String, Number or Binary, optionally with a custom suffix ("Number.int").
func StringAttribute(dataType, value string) SQSMessageAttribute {
	return SQSMessageAttribute{DataType: dataType, StringValue: &value}
}

// BinaryAttribute builds a Binary message attribute.
func BinaryAttribute(dataType string, value []byte) SQSMessageAttribute {
	return SQSMessageAttribute{DataType: dataType, BinaryValue: value}
}

// SQSRecordInput is what a queue knows about a received message.
type SQSRecordInput struct {
	MessageID       string
	ReceiptHandle   string
	Body            string
	Attributes      map[string]SQSMessageAttribute
	SenderID        string
	SentAt          time.Time
	FirstReceivedAt time.Time
	ReceiveCount    int
	QueueARN        string
	// AWSRegion defaults to the region in QueueARN.
	AWSRegion string
	// FIFO queues only.
	MessageGroupID         string
	MessageDeduplicationID string
	SequenceNumber         string
	// AWSTraceHeader is the X-Ray header, when the message carried one.
	AWSTraceHeader string
}

// NewSQSRecord builds the Lambda record of one received message, with the
// MD5s SQS computes.
func NewSQSRecord(in SQSRecordInput) SQSMessage {
	attrs := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(in.ReceiveCount),
		"SentTimestamp":                    epochMillis(in.SentAt),
		"SenderId":                         in.SenderID,
		"ApproximateFirstReceiveTimestamp": epochMillis(in.FirstReceivedAt),
	}
	for k, v := range map[string]string{
		"MessageGroupId":         in.MessageGroupID,
		"MessageDeduplicationId": in.MessageDeduplicationID,
		"SequenceNumber":         in.SequenceNumber,
		"AWSTraceHeader":         in.AWSTraceHeader,
	} {
		if v != "" {
			attrs[k] = v
		}
	}
	msgAttrs := in.Attributes
	if msgAttrs == nil {
		msgAttrs = map[string]SQSMessageAttribute{}
	}
	region := in.AWSRegion
	if region == "" {
		region = RegionOf(in.QueueARN)
	}
	return SQSMessage{
		MessageID:              in.MessageID,
		ReceiptHandle:          in.ReceiptHandle,
		Body:                   in.Body,
		Attributes:             attrs,
		MessageAttributes:      msgAttrs,
		MD5OfBody:              MD5OfBody(in.Body),
		MD5OfMessageAttributes: MD5OfMessageAttributes(in.Attributes),
		EventSource:            "aws:sqs",
		EventSourceARN:         in.QueueARN,
		AWSRegion:              region,
	}
}

// RegionOf returns the region field of an ARN
// (arn:partition:service:region:account:resource), or "".
func RegionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

func epochMillis(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// SQSEventResponse is what a function with ReportBatchItemFailures returns.
type SQSEventResponse struct {
	BatchItemFailures []BatchItemFailure `json:"batchItemFailures"`
}

// BatchItemFailure names one message of the batch that failed.
type BatchItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// BatchItemFailures reads a function's partial batch response for a batch of
// messageIDs, with Lambda's rules. It returns the ids to retry:
//   - none for an empty or null response, a response without
//     batchItemFailures, or an empty or null batchItemFailures list;
//   - the listed ids when every entry names a message of the batch;
//   - every id of the batch, with an error saying why, when the response is
//     not valid JSON or an entry has an empty, null or misnamed
//     itemIdentifier or one that is not in the batch.
func BatchItemFailures(response []byte, messageIDs []string) ([]string, error) {
	trimmed := strings.TrimSpace(string(response))
	if trimmed == "" || trimmed == "null" {
		return nil, nil
	}
	var doc any
	if err := json.Unmarshal([]byte(trimmed), &doc); err != nil {
		return messageIDs, fmt.Errorf("partial batch response is not valid JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, nil
	}
	raw, ok := obj["batchItemFailures"]
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return messageIDs, fmt.Errorf("partial batch response: batchItemFailures is not a list")
	}
	inBatch := make(map[string]bool, len(messageIDs))
	for _, id := range messageIDs {
		inBatch[id] = true
	}
	var failed []string
	seen := map[string]bool{}
	for i, item := range list {
		entry, ok := item.(map[string]any)
		if !ok {
			return messageIDs, fmt.Errorf("partial batch response: batchItemFailures[%d] is not an object", i)
		}
		id, ok := entry["itemIdentifier"].(string)
		if !ok || id == "" {
			return messageIDs, fmt.Errorf("partial batch response: batchItemFailures[%d] has no itemIdentifier", i)
		}
		if !inBatch[id] {
			return messageIDs, fmt.Errorf("partial batch response: itemIdentifier %q is not a message of the batch", id)
		}
		if !seen[id] {
			seen[id] = true
			failed = append(failed, id)
		}
	}
	return failed, nil
}

// SQSStored is how a queued message keeps its SQS message attributes
// (queue.Message.Attributes): the SQS API writes it, and event source
// mappings and topic deliveries read or write it.
type SQSStored struct {
	Attrs  map[string]SQSStoredAttribute `json:"a,omitempty"`
	System map[string]SQSStoredAttribute `json:"s,omitempty"`
	Sender string                        `json:"sender,omitempty"` // the sender's account id
}

// SQSStoredAttribute is one stored message attribute, in SQS's API casing.
type SQSStoredAttribute struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

// DecodeSQSStored reads stored attributes; none (nil or empty) is a zero
// SQSStored.
func DecodeSQSStored(b []byte) (SQSStored, error) {
	var s SQSStored
	if len(b) == 0 {
		return s, nil
	}
	err := json.Unmarshal(b, &s)
	return s, err
}

// RecordAttributes are the stored message attributes as a Lambda SQS
// record's messageAttributes.
func (s SQSStored) RecordAttributes() map[string]SQSMessageAttribute {
	out := make(map[string]SQSMessageAttribute, len(s.Attrs))
	for k, a := range s.Attrs {
		if a.StringValue != nil {
			out[k] = StringAttribute(a.DataType, *a.StringValue)
		} else {
			out[k] = BinaryAttribute(a.DataType, a.BinaryValue)
		}
	}
	return out
}
