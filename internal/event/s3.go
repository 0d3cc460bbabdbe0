package event

import (
	"net/url"
	"strings"
	"time"
)

// S3Event is the event S3 passes a function (and sends to SQS queues and
// SNS topics) for a bucket notification.
type S3Event struct {
	Records []S3EventRecord `json:"Records"`
}

// S3EventRecord is one record of an S3Event.
type S3EventRecord struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      S3Identity        `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters"`
	ResponseElements  map[string]string `json:"responseElements"`
	S3                S3Entity          `json:"s3"`
}

// S3Identity names a principal.
type S3Identity struct {
	PrincipalID string `json:"principalId"`
}

// S3Entity says which bucket and object changed.
type S3Entity struct {
	SchemaVersion   string   `json:"s3SchemaVersion"`
	ConfigurationID string   `json:"configurationId"`
	Bucket          S3Bucket `json:"bucket"`
	Object          S3Object `json:"object"`
}

// S3Bucket is the bucket of an S3Entity.
type S3Bucket struct {
	Name          string     `json:"name"`
	OwnerIdentity S3Identity `json:"ownerIdentity"`
	ARN           string     `json:"arn"`
}

// S3Object is the object of an S3Entity; a removal carries no size or
// eTag.
type S3Object struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Sequencer string `json:"sequencer"`
}

// S3RecordInput is what NewS3Record needs.
type S3RecordInput struct {
	Region          string
	Time            time.Time
	EventName       string // "ObjectCreated:Put", "ObjectRemoved:Delete", …
	PrincipalID     string // who made the request
	OwnerID         string // the bucket's owner
	SourceIP        string
	RequestID       string
	ConfigurationID string
	Bucket          string
	Key             string
	Size            int64 // ignored for removals
	ETag            string
	Sequencer       string
}

// NewS3Record builds a notification record as S3 writes it: the key
// URL-encoded (spaces as '+'), times in UTC with milliseconds.
func NewS3Record(in S3RecordInput) S3EventRecord {
	obj := S3Object{Key: url.QueryEscape(in.Key), Sequencer: in.Sequencer}
	if !strings.HasPrefix(in.EventName, "ObjectRemoved:") {
		size := in.Size
		obj.Size, obj.ETag = &size, in.ETag
	}
	return S3EventRecord{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         in.Region,
		EventTime:         Timestamp(in.Time),
		EventName:         in.EventName,
		UserIdentity:      S3Identity{PrincipalID: in.PrincipalID},
		RequestParameters: map[string]string{"sourceIPAddress": in.SourceIP},
		ResponseElements:  map[string]string{"x-amz-request-id": in.RequestID, "x-amz-id-2": in.RequestID},
		S3: S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: in.ConfigurationID,
			Bucket:          S3Bucket{Name: in.Bucket, OwnerIdentity: S3Identity{PrincipalID: in.OwnerID}, ARN: "arn:aws:s3:::" + in.Bucket},
			Object:          obj,
		},
	}
}
