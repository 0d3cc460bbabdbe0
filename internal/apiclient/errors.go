package apiclient

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Error is an error reply of the API: the status, the AWS-style error type
// from X-Amzn-ErrorType, the message from the JSON body and the request id.
type Error struct {
	Status    int
	Type      string // e.g. ResourceNotFoundException
	Message   string
	RequestID string
	Reason    string // throttling reason of a 429, e.g. ReservedFunctionConcurrentInvocationLimitExceeded
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return e.Type + " (" + e.Reason + "): " + e.Message
	}
	return e.Type + ": " + e.Message
}

// IsNotFound reports whether err is an API error of type
// ResourceNotFoundException.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == fn.TypeResourceNotFound
}

// parseError decodes an error reply. It copes with replies that did not
// come from Updraft (a proxy's HTML page, an empty body) by falling back to
// the HTTP status.
func parseError(resp *http.Response) error {
	e := &Error{
		Status:    resp.StatusCode,
		Type:      resp.Header.Get("X-Amzn-ErrorType"),
		RequestID: resp.Header.Get("X-Amzn-RequestId"),
	}
	// Lambda may append ":<url>" to the type; the name is what matters.
	if i := strings.IndexByte(e.Type, ':'); i >= 0 {
		e.Type = e.Type[:i]
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Message string `json:"message"` // matches "Message" too
		AWSType string `json:"__type"`
		Reason  string `json:"Reason"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Message = body.Message
		e.Reason = body.Reason
		if e.Type == "" {
			e.Type = body.AWSType
		}
	} else {
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
	}
	if e.Type == "" {
		e.Type = "HTTP " + resp.Status
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
