package wire

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// TenantHandler serves a request the gateway authenticated as tenant's.
type TenantHandler func(w http.ResponseWriter, r *http.Request, tenant string)

// Auth wraps a TenantHandler with the gateway's authentication.
type Auth func(TenantHandler) http.HandlerFunc

// MaxRequestBody bounds any request body: a 50 MB zip in base64 plus the
// JSON around it.
const MaxRequestBody = fn.MaxZippedBytes/3*4 + 1<<20

// requestIDs is the process's random UUID base; each id adds a counter to
// its last 8 bytes, so ids are unique without reading crypto/rand per call
// (they need not be secret).
var requestIDs struct {
	base [16]byte
	n    atomic.Uint64
}

func init() {
	_, _ = rand.Read(requestIDs.base[:])
}

// NewRequestID returns a UUID (version 4 layout) unique to this process.
func NewRequestID() string {
	b := requestIDs.base
	lo := binary.BigEndian.Uint64(b[8:]) + requestIDs.n.Add(1)
	binary.BigEndian.PutUint64(b[8:], lo)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// SetRequestID stamps a new request id on the reply and returns it.
func SetRequestID(w http.ResponseWriter) string {
	id := NewRequestID()
	w.Header()["X-Amzn-Requestid"] = []string{id}
	return id
}

// RequestID is the id SetRequestID stamped on the reply.
func RequestID(w http.ResponseWriter) string { return w.Header().Get("X-Amzn-Requestid") }

// Error maps err to Lambda's error reply; 5xx errors are logged.
func Error(w http.ResponseWriter, log *slog.Logger, err error) {
	e := fn.AsError(err)
	kind := "User"
	if e.Status >= 500 {
		kind = "Service"
		log.Error("request failed", "type", e.Type, "err", err, "request_id", RequestID(w))
	}
	h := w.Header()
	h.Set("X-Amzn-ErrorType", e.Type)
	h.Set("Content-Type", "application/json")
	if e.Status == http.StatusTooManyRequests {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	// __type is where the AWS JSON protocols (DynamoDB, SQS) look for the
	// error code; the REST protocols read X-Amzn-ErrorType.
	body := map[string]string{"Type": kind, "message": e.Message, "__type": e.Type}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	_ = json.NewEncoder(w).Encode(body)
}

// JSON writes v as the reply's JSON body.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ParseSince accepts a Go duration ("10m") or an RFC 3339 time; "" is zero.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fn.InvalidParameter("since %q is neither a duration (10m, 1h30m) nor an RFC 3339 time", s)
}

type sentinel string

func (s sentinel) Error() string { return string(s) }

// ErrTooLarge is ReadLimited's error past its limit.
const ErrTooLarge = sentinel("payload too large")

// ReadLimited reads r into buf, failing with ErrTooLarge past limit bytes.
// buf grows as bytes arrive, doubling, but never past limit+1 bytes: a
// caller that knows a body's announced length may pass it as limit (a
// request body ends there), so that the last buffer fits it, and starts
// from a small buf, so that a client announcing megabytes and sending few
// costs few.
func ReadLimited(r io.Reader, buf []byte, limit int) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), max(min(2*cap(buf), limit+1), len(buf)+512))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf, ErrTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Functions finds tenant's functions by name.
type Functions interface {
	GetFunction(ctx context.Context, tenant, name string) (*fn.Function, error)
}

// Lookup resolves the request's {name} path value (a name or an ARN) to a
// function of tenant.
func Lookup(r *http.Request, reg Functions, tenant string) (*fn.Function, error) {
	name, _ := FunctionName(r.PathValue("name"))
	if err := CheckName(r.PathValue("name"), name, tenant); err != nil {
		return nil, err
	}
	return reg.GetFunction(r.Context(), tenant, name)
}

// Mux is where adapters register their routes: an *http.ServeMux, or the
// gateway's recorder of them (the route table the tenancy tests walk).
type Mux interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
	Handle(pattern string, handler http.Handler)
}
