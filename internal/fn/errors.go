package fn

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a typed, user-facing error: an HTTP status, an AWS-style error
// type (sent as X-Amzn-ErrorType and as "Type" in the JSON body) and a
// message that says what to fix.
type Error struct {
	Status  int    // HTTP status code
	Type    string // e.g. ResourceNotFoundException
	Message string
	Reason  string // optional, e.g. a throttling reason
	Err     error  // optional wrapped cause
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Type + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Type + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// The catalogue. Types and status codes follow AWS Lambda's where Lambda has
// an equivalent.
const (
	TypeInvalidParameterValue  = "InvalidParameterValueException"
	TypeResourceNotFound       = "ResourceNotFoundException"
	TypeResourceConflict       = "ResourceConflictException"
	TypeRequestTooLarge        = "RequestTooLargeException"
	TypeInvalidRequestContent  = "InvalidRequestContentException"
	TypeCodeStorageExceeded    = "CodeStorageExceededException"
	TypeInvalidZipFile         = "InvalidZipFileException"
	TypeTooManyRequests        = "TooManyRequestsException"
	TypeUnrecognizedClient     = "UnrecognizedClientException"
	TypeAccessDenied           = "AccessDeniedException"
	TypeService                = "ServiceException"
	TypeUnsupportedMediaType   = "UnsupportedMediaTypeException"
	TypeValidation             = "ValidationException"
	TypeMethodNotAllowed       = "MethodNotAllowedException"
	TypeServiceUnavailable     = "ServiceUnavailableException"
	TypeUnknownOperation       = "UnknownOperationException"
	TypeEC2Unexpected          = "EC2UnexpectedException"
	TypeInvalidRuntime         = "InvalidRuntimeException"
	TypeInvalidSignature       = "InvalidSignatureException"
	TypeUnauthorized           = "UnauthorizedException"
	TypeRequestEntityTooLarge  = "RequestEntityTooLargeException"
	TypeProvisionedConcurrency = "ProvisionedConcurrencyConfigNotFoundException"
	TypeRequestTimeout         = "RequestTimeoutException"
	TypeExpiredToken           = "ExpiredTokenException"
)

// Errorf builds an *Error with a formatted message.
func Errorf(status int, typ, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// InvalidParameter is a 400 InvalidParameterValueException.
func InvalidParameter(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeInvalidParameterValue, format, args...)
}

// NotFound is a 404 ResourceNotFoundException.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, TypeResourceNotFound, format, args...)
}

// FunctionNotFound is Lambda's message for an unknown function.
func FunctionNotFound(tenant, name string) *Error {
	return NotFound("Function not found: %s (deploy it first with `updraft deploy`, or check the name with `updraft ls`)", ARN(tenant, name, ""))
}

// Internal wraps an unexpected error as a 500 ServiceException.
func Internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Type: TypeService, Message: "internal error", Err: err}
}

// AsError returns err as an *Error, wrapping unknown errors as Internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// CodeCorrupt is a 500 ServiceException for a function whose stored code
// object cannot be read back or does not match its sha256 digest.
func CodeCorrupt(name, sha string, err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Type: TypeService, Err: err, Message: fmt.Sprintf(
		"the code of function %s (sha256 %s) is damaged in the store and cannot be run: deploy the function again to store its code anew; "+
			"the operator can list all damage with `updraft admin check` (server stopped)", name, sha)}
}

// IsNotFound reports whether err is a ResourceNotFoundException.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Type == TypeResourceNotFound
}

// Conflict is a 409 ResourceConflictException.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, TypeResourceConflict, format, args...)
}

// Unavailable is a 503 ServiceUnavailableException.
func Unavailable(format string, args ...any) *Error {
	return Errorf(http.StatusServiceUnavailable, TypeServiceUnavailable, format, args...)
}

// Throttled is a 429 TooManyRequestsException with Lambda's Reason (one of
// the Reason* constants).
func Throttled(reason, format string, args ...any) *Error {
	e := Errorf(http.StatusTooManyRequests, TypeTooManyRequests, format, args...)
	e.Reason = reason
	return e
}

// RequestTimeout is a request whose body did not arrive in time (408); AWS
// SDKs retry it.
func RequestTimeout(format string, args ...any) *Error {
	return Errorf(http.StatusRequestTimeout, TypeRequestTimeout, format, args...)
}

// ProvisionedConfigNotFound is Lambda's 404 for a qualifier without
// provisioned concurrency.
func ProvisionedConfigNotFound(name, qualifier string) *Error {
	return Errorf(http.StatusNotFound, TypeProvisionedConcurrency, "No Provisioned Concurrency Config found for function: %s:%s", name, qualifier)
}

// InsufficientStorage is a 507 ServiceException: the platform's disk cannot
// take the write. The message says what is full and what to free.
func InsufficientStorage(format string, args ...any) *Error {
	return Errorf(http.StatusInsufficientStorage, TypeService, format, args...)
}

// AccessDenied is a 403 AccessDeniedException: the caller may not use a
// resource of another account.
func AccessDenied(format string, args ...any) *Error {
	return Errorf(http.StatusForbidden, TypeAccessDenied, format, args...)
}

// Validation is a 400 ValidationException: a request whose content breaks a
// rule of the API (DynamoDB's expressions and attribute values use it, with
// DynamoDB's messages).
func Validation(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, TypeValidation, format, args...)
}
