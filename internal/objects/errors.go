package objects

import (
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// S3's error codes. Each is an *fn.Error whose Type is S3's code; the S3
// adapter writes it as the Code of S3's error XML.
const (
	CodeNoSuchBucket            = "NoSuchBucket"
	CodeNoSuchKey               = "NoSuchKey"
	CodeNoSuchUpload            = "NoSuchUpload"
	CodeBucketNotEmpty          = "BucketNotEmpty"
	CodeBucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
	CodeInvalidBucketName       = "InvalidBucketName"
	CodeInvalidArgument         = "InvalidArgument"
	CodeInvalidRange            = "InvalidRange"
	CodePreconditionFailed      = "PreconditionFailed"
	CodeNotModified             = "NotModified"
	CodeBadDigest               = "BadDigest"
	CodeInvalidDigest           = "InvalidDigest"
	CodeInvalidPart             = "InvalidPart"
	CodeInvalidPartOrder        = "InvalidPartOrder"
	CodeEntityTooSmall          = "EntityTooSmall"
	CodeEntityTooLarge          = "EntityTooLarge"
	CodeKeyTooLong              = "KeyTooLongError"
	CodeNoSuchCORS              = "NoSuchCORSConfiguration"
	CodeNoSuchTagSet            = "NoSuchTagSet"
	CodeInvalidTag              = "InvalidTag"
	CodeMalformedXML            = "MalformedXML"
	CodeIncompleteBody          = "IncompleteBody"
)

func noSuchBucket(name string) *fn.Error {
	return fn.Errorf(http.StatusNotFound, CodeNoSuchBucket, "The specified bucket does not exist: %s", name)
}

func noSuchKey(key string) *fn.Error {
	return fn.Errorf(http.StatusNotFound, CodeNoSuchKey, "The specified key does not exist: %s", key)
}

func noSuchUpload(id string) *fn.Error {
	return fn.Errorf(http.StatusNotFound, CodeNoSuchUpload, "The specified multipart upload does not exist: %s (it may have been aborted or completed)", id)
}

func bucketNotEmpty(name string) *fn.Error {
	return fn.Errorf(http.StatusConflict, CodeBucketNotEmpty, "The bucket %s you tried to delete is not empty: delete its objects (and abort its multipart uploads) first", name)
}

func bucketOwned(name string) *fn.Error {
	return fn.Errorf(http.StatusConflict, CodeBucketAlreadyOwnedByYou, "Your previous request to create the named bucket %s succeeded and you already own it", name)
}

func invalidBucketName(name string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeInvalidBucketName, "The specified bucket %q is not valid: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit", name)
}

// InvalidArgument is S3's InvalidArgument (400).
func InvalidArgument(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeInvalidArgument, format, args...)
}

// MalformedXML is S3's MalformedXML (400).
func MalformedXML(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeMalformedXML, format, args...)
}

// InvalidRange is S3's 416 for a range outside the object.
func InvalidRange(size int64) *fn.Error {
	return fn.Errorf(http.StatusRequestedRangeNotSatisfiable, CodeInvalidRange, "The requested range is not satisfiable: the object has %d bytes", size)
}

// PreconditionFailed is S3's 412.
func PreconditionFailed(header string) *fn.Error {
	return fn.Errorf(http.StatusPreconditionFailed, CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold: %s", header)
}

// NotModified is the 304 of a conditional GET (no body is sent).
func NotModified() *fn.Error {
	return fn.Errorf(http.StatusNotModified, CodeNotModified, "Not Modified")
}

// BadDigest is S3's 400 for a Content-MD5 or checksum that does not match.
func BadDigest(what string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeBadDigest, "The %s you specified did not match what we received", what)
}

// InvalidDigest is S3's 400 for a Content-MD5 that is not base64 of 16 bytes.
func InvalidDigest() *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeInvalidDigest, "The Content-MD5 you specified is not valid: want the base64 of the body's 16-byte MD5")
}

// IncompleteBody is S3's 400 for a body shorter than its Content-Length.
func IncompleteBody(got, want int64) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header: got %d of %d", got, want)
}

func invalidPart(n int, why string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeInvalidPart, "One or more of the specified parts could not be found or its entity tag did not match: part %d %s", n, why)
}

func invalidPartOrder() *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeInvalidPartOrder, "The list of parts was not in ascending order: list the parts by part number")
}

func entityTooSmall(n int, size int64) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeEntityTooSmall, "Your proposed upload is smaller than the minimum allowed object size: part %d has %d bytes; every part but the last needs at least %d", n, size, MinPartSize)
}

func keyTooLong(n int) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeKeyTooLong, "Your key is too long: %d bytes, at most %d", n, MaxKeyLen)
}

func noSuchCORS(bucket string) *fn.Error {
	return fn.Errorf(http.StatusNotFound, CodeNoSuchCORS, "The CORS configuration does not exist for bucket %s", bucket)
}

func invalidTag(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, CodeInvalidTag, format, args...)
}

func invalidRequest(msg string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, "InvalidRequest", "%s", msg)
}
