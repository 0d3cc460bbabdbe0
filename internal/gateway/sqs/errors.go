package sqs

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/queue"
)

// SQS's error codes. An *fn.Error's Type is the code the JSON protocol
// names ("__type": com.amazonaws.sqs#CODE); queryCodes holds those the
// query protocol (and the x-amzn-query-error header) names otherwise.
const (
	codeNonExistentQueue   = "QueueDoesNotExist"
	codeQueueNameExists    = "QueueNameExists"
	codeInvalidParameter   = "InvalidParameterValue"
	codeMissingParameter   = "MissingParameter"
	codeInvalidAttribute   = "InvalidAttributeName"
	codeInvalidAttrValue   = "InvalidAttributeValue"
	codeReceiptHandle      = "ReceiptHandleIsInvalid"
	codeNotDistinct        = "BatchEntryIdsNotDistinct"
	codeEmptyBatch         = "EmptyBatchRequest"
	codeTooManyEntries     = "TooManyEntriesInBatchRequest"
	codeInvalidBatchID     = "InvalidBatchEntryId"
	codeBatchTooLong       = "BatchRequestTooLong"
	codeInvalidContents    = "InvalidMessageContents"
	codeUnsupported        = "UnsupportedOperation"
	codeInvalidAction      = "InvalidAction"
	codeOverLimit          = "OverLimit"
	codeInvalidAddress     = "InvalidAddress"
	codeInternal           = "InternalError"
	codeServiceUnavailable = "ServiceUnavailable"
)

var queryCodes = map[string]string{
	codeNonExistentQueue: "AWS.SimpleQueueService.NonExistentQueue",
	codeQueueNameExists:  "QueueAlreadyExists",
	codeNotDistinct:      "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	codeEmptyBatch:       "AWS.SimpleQueueService.EmptyBatchRequest",
	codeTooManyEntries:   "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	codeInvalidBatchID:   "AWS.SimpleQueueService.InvalidBatchEntryId",
	codeBatchTooLong:     "AWS.SimpleQueueService.BatchRequestTooLong",
	codeUnsupported:      "AWS.SimpleQueueService.UnsupportedOperation",
}

func queryCode(code string) string {
	if q, ok := queryCodes[code]; ok {
		return q
	}
	return code
}

// sqsErr is a sender's error (400) with one of SQS's codes.
func sqsErr(code, format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, code, format, args...)
}

// The catalogue's constructors, one per kind of mistake.

func invalidParameter(format string, args ...any) *fn.Error {
	return sqsErr(codeInvalidParameter, format, args...)
}

func missingParameter(name string) *fn.Error {
	return sqsErr(codeMissingParameter, "The request must contain the parameter %s.", name)
}

func noSuchQueue(what string) *fn.Error {
	return sqsErr(codeNonExistentQueue, "The specified queue does not exist: %s (list yours with ListQueues or `updraft queue ls`).", what)
}

func invalidAttributeName(name string) *fn.Error {
	return sqsErr(codeInvalidAttribute, "Unknown Attribute %s.", name)
}

func invalidAttributeValue(name, value, why string) *fn.Error {
	return sqsErr(codeInvalidAttrValue, "Invalid value for the parameter %s: %q. Reason: %s", name, value, why)
}

func badHandle(handle string) *fn.Error {
	return sqsErr(codeReceiptHandle, "The input receipt handle %q is not a valid receipt handle of this queue: use the ReceiptHandle of a ReceiveMessage reply.", clip(handle))
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// apiError maps err to the *fn.Error the client gets.
func apiError(err error) *fn.Error {
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return noSuchQueue("the queue was deleted")
	case errors.Is(err, queue.ErrBadHandle):
		return badHandle("")
	}
	e := fn.AsError(err)
	switch e.Type {
	case fn.TypeInvalidParameterValue, fn.TypeRequestTooLarge, fn.TypeRequestEntityTooLarge:
		return &fn.Error{Status: http.StatusBadRequest, Type: codeInvalidParameter, Message: e.Message, Err: e.Err}
	case fn.TypeServiceUnavailable:
		return &fn.Error{Status: http.StatusServiceUnavailable, Type: codeServiceUnavailable, Message: e.Message, Err: e.Err}
	case fn.TypeService:
		return &fn.Error{Status: http.StatusInternalServerError, Type: codeInternal, Message: e.Message, Err: e.Err}
	}
	return e
}

// writeError replies with err in the request's protocol.
func writeError(w http.ResponseWriter, log *slog.Logger, query bool, err error) {
	e := apiError(err)
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
		log.Error("sqs request failed", "code", e.Type, "err", err, "request_id", wire.RequestID(w))
	}
	h := w.Header()
	h.Set("X-Amzn-Query-Error", queryCode(e.Type)+";"+fault)
	if !query {
		h.Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(e.Status)
		writeJSONBody(w, map[string]string{"__type": "com.amazonaws.sqs#" + e.Type, "message": e.Message})
		return
	}
	type detail struct {
		Type    string
		Code    string
		Message string
	}
	body := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     detail
		RequestID string `xml:"RequestId"`
	}{Error: detail{Type: fault, Code: queryCode(e.Type), Message: e.Message}, RequestID: wire.RequestID(w)}
	h.Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	writeXMLBody(w, body)
}
