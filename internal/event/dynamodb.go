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
