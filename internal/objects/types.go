package objects

import (
	"net"
	"time"
)

// Limits of S3 that Updraft keeps.
const (
	MaxKeyLen      = 1024
	MinPartSize    = 5 << 20
	MaxPartNumber  = 10000
	MaxObjectSize  = 5 << 40
	MaxDeleteBatch = 1000
	MaxTags        = 10
	// InlineMax is the largest object whose bytes live in its metadata
	// record instead of a content file: one fsync instead of three.
	InlineMax = 64 << 10
)

// Bucket is a bucket's record: its name, creation time and
// configurations.
type Bucket struct {
	Name         string              `json:"name"`
	Created      time.Time           `json:"created"`
	CORS         []CORSRule          `json:"cors,omitempty"`
	Notification *NotificationConfig `json:"notification,omitempty"`
}

// CORSRule is one rule of a bucket's CORS configuration.
type CORSRule struct {
	ID             string   `json:"id,omitempty"`
	AllowedOrigins []string `json:"allowedOrigins"`
	AllowedMethods []string `json:"allowedMethods"`
	AllowedHeaders []string `json:"allowedHeaders,omitempty"`
	ExposeHeaders  []string `json:"exposeHeaders,omitempty"`
	MaxAgeSeconds  int      `json:"maxAgeSeconds,omitempty"`
}

// Object is an object's metadata record; its bytes are the concatenation
// of its segments' content files.
type Object struct {
	Key      string            `json:"key"`
	Size     int64             `json:"size"`
	ETag     string            `json:"etag"` // unquoted
	Modified time.Time         `json:"modified"`
	Headers  Headers           `json:"headers,omitzero"`
	Meta     map[string]string `json:"meta,omitempty"` // x-amz-meta-* without the prefix, lower case
	Tags     map[string]string `json:"tags,omitempty"`
	Segments []Segment         `json:"segments,omitempty"`
	// Inline objects (at most InlineMax bytes) keep their bytes in Data,
	// in the record itself; the index keeps the record without them.
	Inline  bool   `json:"inline,omitempty"`
	Data    []byte `json:"data,omitempty"`
	Deleted bool   `json:"deleted,omitempty"` // a tombstone
}

// Headers are the standard headers stored with an object and returned
// with it.
type Headers struct {
	ContentType        string `json:"contentType,omitempty"`
	ContentEncoding    string `json:"contentEncoding,omitempty"`
	ContentDisposition string `json:"contentDisposition,omitempty"`
	ContentLanguage    string `json:"contentLanguage,omitempty"`
	CacheControl       string `json:"cacheControl,omitempty"`
	Expires            string `json:"expires,omitempty"`
}

// Segment is one content file of an object (one for a plain upload, one
// per part for a multipart upload).
type Segment struct {
	File string `json:"file"`
	Size int64  `json:"size"`
}

// Upload is a multipart upload in progress.
type Upload struct {
	ID        string            `json:"id"`
	Bucket    string            `json:"bucket"`
	Key       string            `json:"key"`
	Initiated time.Time         `json:"initiated"`
	Headers   Headers           `json:"headers,omitzero"`
	Meta      map[string]string `json:"meta,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	Done      bool              `json:"done,omitempty"` // completed or aborted: a tombstone
}

// Part is an uploaded part of a multipart upload.
type Part struct {
	Upload   string    `json:"upload"`
	Number   int       `json:"number"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"` // unquoted MD5 hex
	File     string    `json:"file"`
	Modified time.Time `json:"modified"`
}

// ValidBucketName reports whether name follows S3's bucket naming rules.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || net.ParseIP(name) != nil {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(name)-1 || (c == '.' && name[i-1] == '.') {
				return false
			}
		default:
			return false
		}
	}
	return true
}
