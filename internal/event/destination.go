package event

import (
	"encoding/json"
	"time"
)

// Conditions of a destination record.
const (
	ConditionSuccess          = "Success"
	ConditionRetriesExhausted = "RetriesExhausted"
	ConditionEventAgeExceeded = "EventAgeExceeded"
)

// DestinationRecord is what an asynchronous invocation sends to its
// OnSuccess or OnFailure destination.
type DestinationRecord struct {
	Version         string                      `json:"version"`
	Timestamp       string                      `json:"timestamp"`
	RequestContext  DestinationRequestContext   `json:"requestContext"`
	RequestPayload  json.RawMessage             `json:"requestPayload"`
	ResponseContext *DestinationResponseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage             `json:"responsePayload,omitempty"`
}

// DestinationRequestContext identifies the invocation.
type DestinationRequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// DestinationResponseContext describes the last attempt's response.
type DestinationResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// DestinationInput is what the async path knows when it gives up on or
// completes an event.
type DestinationInput struct {
	RequestID   string
	FunctionARN string // qualified: ...:function:name:$LATEST or :version
	Condition   string // ConditionSuccess, ConditionRetriesExhausted, ConditionEventAgeExceeded
	InvokeCount int
	At          time.Time
	Request     []byte
	// Response is nil when the function never ran (an event that expired
	// before its first attempt); responseContext and responsePayload are
	// then left out.
	Response *DestinationResponse
}

// DestinationResponse is the last attempt's outcome.
type DestinationResponse struct {
	StatusCode      int
	ExecutedVersion string
	FunctionError   string // "Unhandled" or "Handled" for a function error; "" on success
	Payload         []byte
}

// NewDestinationRecord builds the record. A payload that is not JSON is
// carried as a JSON string; an empty one as null.
func NewDestinationRecord(in DestinationInput) DestinationRecord {
	rec := DestinationRecord{
		Version:   "1.0",
		Timestamp: Timestamp(in.At),
		RequestContext: DestinationRequestContext{
			RequestID:              in.RequestID,
			FunctionARN:            in.FunctionARN,
			Condition:              in.Condition,
			ApproximateInvokeCount: in.InvokeCount,
		},
		RequestPayload: rawJSON(in.Request),
	}
	if in.Response != nil {
		rec.ResponseContext = &DestinationResponseContext{
			StatusCode:      in.Response.StatusCode,
			ExecutedVersion: in.Response.ExecutedVersion,
			FunctionError:   in.Response.FunctionError,
		}
		rec.ResponsePayload = rawJSON(in.Response.Payload)
	}
	return rec
}

func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b)) // a Go string always marshals
	return json.RawMessage(s)
}
