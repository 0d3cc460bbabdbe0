package event

import (
	"encoding/json"
	"time"
)

// DynamoDBEvent is the event Lambda passes a function for a batch of a
// table's stream records.
type DynamoDBEvent struct {
	Records []DynamoDBRecord `json:"Records"`
}

// DynamoDBRecord is one DynamoDB Streams record.
type DynamoDBRecord struct {
	EventID        string               `json:"eventID"`
	EventName      string               `json:"eventName"` // INSERT, MODIFY or REMOVE
	EventVersion   string               `json:"eventVersion"`
	EventSource    string               `json:"eventSource"`
	AWSRegion      string               `json:"awsRegion"`
	Change         DynamoDBStreamRecord `json:"dynamodb"`
	EventSourceARN string               `json:"eventSourceARN"`
	UserIdentity   *DynamoDBIdentity    `json:"userIdentity,omitempty"`
}

// DynamoDBStreamRecord is a record's "dynamodb" member. The images and
// keys are items in DynamoDB JSON ({"id": {"S": "a"}}).
type DynamoDBStreamRecord struct {
	ApproximateCreationDateTime float64         `json:"ApproximateCreationDateTime"`
	Keys                        json.RawMessage `json:"Keys"`
	NewImage                    json.RawMessage `json:"NewImage,omitempty"`
	OldImage                    json.RawMessage `json:"OldImage,omitempty"`
	SequenceNumber              string          `json:"SequenceNumber"`
	SizeBytes                   int64           `json:"SizeBytes"`
	StreamViewType              string          `json:"StreamViewType"`
}

// DynamoDBIdentity marks a change the service made: a TTL deletion.
type DynamoDBIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

// DynamoDBRecordInput is what NewDynamoDBRecord needs.
type DynamoDBRecordInput struct {
	EventID   string
	EventName string
	Region    string
	StreamARN string
	Created   time.Time
	// Keys, NewImage and OldImage are DynamoDB JSON items; an image not in
	// the view type is left out by the caller.
	Keys, NewImage, OldImage json.RawMessage
	SequenceNumber           string
	SizeBytes                int64
	ViewType                 string
	// ByService marks a TTL deletion (userIdentity dynamodb.amazonaws.com).
	ByService bool
}

// NewDynamoDBRecord builds a stream record in DynamoDB Streams' shape
// (eventVersion 1.1, ApproximateCreationDateTime in epoch seconds).
func NewDynamoDBRecord(in DynamoDBRecordInput) DynamoDBRecord {
	r := DynamoDBRecord{
		EventID: in.EventID, EventName: in.EventName, EventVersion: "1.1", EventSource: "aws:dynamodb",
		AWSRegion: in.Region, EventSourceARN: in.StreamARN,
		Change: DynamoDBStreamRecord{
			ApproximateCreationDateTime: float64(in.Created.Unix()),
			Keys:                        in.Keys, NewImage: in.NewImage, OldImage: in.OldImage,
			SequenceNumber: in.SequenceNumber, SizeBytes: in.SizeBytes, StreamViewType: in.ViewType,
		},
	}
	if in.ByService {
		r.UserIdentity = &DynamoDBIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	}
	return r
}

// DDBStreamBatchInfo describes a batch of stream records in the failure
// record a stream event source mapping sends its OnFailure destination.
type DDBStreamBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
}

// StreamFailureRecord is what a stream event source mapping sends its
// OnFailure destination for a batch it gives up on.
type StreamFailureRecord struct {
	RequestContext     DestinationRequestContext   `json:"requestContext"`
	ResponseContext    *DestinationResponseContext `json:"responseContext,omitempty"`
	Version            string                      `json:"version"`
	Timestamp          string                      `json:"timestamp"`
	DDBStreamBatchInfo DDBStreamBatchInfo          `json:"DDBStreamBatchInfo"`
}

// Conditions of a stream failure record.
const (
	ConditionRetryAttemptsExhausted = "RetryAttemptsExhausted"
	ConditionRecordAge              = "RecordAgeExceeded"
)

// StreamFailureInput is what NewStreamFailureRecord needs.
type StreamFailureInput struct {
	RequestID   string
	FunctionARN string
	Condition   string
	Invokes     int
	// Response is nil when the function never answered (a platform error).
	Response                  *DestinationResponse
	At                        time.Time
	ShardID                   string
	FirstSeq, LastSeq         string
	FirstArrival, LastArrival time.Time
	BatchSize                 int
	StreamARN                 string
}

// NewStreamFailureRecord builds the on-failure record of a stream batch,
// in the shape Lambda documents for DynamoDB stream sources.
func NewStreamFailureRecord(in StreamFailureInput) StreamFailureRecord {
	r := StreamFailureRecord{
		RequestContext: DestinationRequestContext{RequestID: in.RequestID, FunctionARN: in.FunctionARN, Condition: in.Condition, ApproximateInvokeCount: in.Invokes},
		Version:        "1.0",
		Timestamp:      in.At.UTC().Format("2006-01-02T15:04:05.000Z"),
		DDBStreamBatchInfo: DDBStreamBatchInfo{
			ShardID: in.ShardID, StartSequenceNumber: in.FirstSeq, EndSequenceNumber: in.LastSeq,
			ApproximateArrivalOfFirstRecord: in.FirstArrival.UTC().Format(time.RFC3339),
			ApproximateArrivalOfLastRecord:  in.LastArrival.UTC().Format(time.RFC3339),
			BatchSize:                       in.BatchSize, StreamARN: in.StreamARN,
		},
	}
	if in.Response != nil {
		r.ResponseContext = &DestinationResponseContext{StatusCode: in.Response.StatusCode, ExecutedVersion: in.Response.ExecutedVersion, FunctionError: in.Response.FunctionError}
	}
	return r
}
