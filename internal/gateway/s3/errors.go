package s3

import (
	"encoding/xml"
	"log/slog"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// s3Codes maps the platform's generic error types to S3's codes; S3's
// own codes (objects' catalogue) pass through.
var s3Codes = map[string]struct {
	code   string
	status int
}{
	fn.TypeAccessDenied:          {"AccessDenied", http.StatusForbidden},
	fn.TypeInvalidSignature:      {"SignatureDoesNotMatch", http.StatusForbidden},
	fn.TypeUnrecognizedClient:    {"InvalidAccessKeyId", http.StatusForbidden},
	fn.TypeInvalidParameterValue: {"InvalidArgument", http.StatusBadRequest},
	fn.TypeValidation:            {"InvalidArgument", http.StatusBadRequest},
	fn.TypeRequestTooLarge:       {"EntityTooLarge", http.StatusBadRequest},
	fn.TypeService:               {"InternalError", http.StatusInternalServerError},
	fn.TypeServiceUnavailable:    {"ServiceUnavailable", http.StatusServiceUnavailable},
	fn.TypeTooManyRequests:       {"SlowDown", http.StatusServiceUnavailable},
	fn.TypeRequestTimeout:        {"RequestTimeout", http.StatusBadRequest},
	fn.TypeResourceNotFound:      {"NoSuchKey", http.StatusNotFound},
	fn.TypeResourceConflict:      {"OperationAborted", http.StatusConflict},
	fn.TypeMethodNotAllowed:      {"MethodNotAllowed", http.StatusMethodNotAllowed},
}

// errorBody is S3's error document.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

// writeError writes err as S3's error XML (no body for HEAD and 304).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := fn.AsError(err)
	code, status := e.Type, e.Status
	if m, ok := s3Codes[e.Type]; ok {
		code, status = m.code, m.status
	}
	if status >= 500 {
		log.Error("s3 request failed", "code", code, "err", err, "request_id", wire.RequestID(w))
	}
	id := wire.RequestID(w)
	w.Header().Set("x-amz-request-id", id)
	if status == http.StatusNotModified || r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(errorBody{Code: code, Message: e.Message, Resource: r.URL.Path, RequestID: id})
}

func notImplemented(what string) *fn.Error {
	return fn.Errorf(http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented: Updraft's S3 does not offer %s", what)
}

func methodNotAllowed(method, what string) *fn.Error {
	return fn.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method %s is not allowed against %s", method, what)
}

func accessForbidden(msg string) *fn.Error {
	return fn.Errorf(http.StatusForbidden, "AccessForbidden", "%s", msg)
}
