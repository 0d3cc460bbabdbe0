package process

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// apiHandler serves the Lambda Runtime API of all instances:
//
//	/<token>/2018-06-01/runtime/invocation/next           GET
//	/<token>/2018-06-01/runtime/invocation/<id>/response  POST
//	/<token>/2018-06-01/runtime/invocation/<id>/error     POST
//	/<token>/2018-06-01/runtime/init/error                POST
//	/<token>/2018-06-01/runtime/updraft/specialize        GET (stem cells only, stem.go)
//	/<token>/2018-06-01/runtime/updraft/ping              GET (stem cells only)
type apiHandler Runtime

const apiPrefix = "/2018-06-01/runtime/"

// Header keys, canonical so that they are set without re-canonicalising.
const (
	hdrRequestID     = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline      = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN   = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID       = "Lambda-Runtime-Trace-Id"
	hdrClientContext = "Lambda-Runtime-Client-Context"
	hdrErrorType     = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody     = "Lambda-Runtime-Function-Error-Body" // aws-lambda-go's trailer, base64
)

var (
	jsonType   = []string{"application/json"}
	acceptedOK = []byte(`{"status":"OK"}`)
	acceptedCL = []string{strconv.Itoa(len(acceptedOK))}
)

func (h *apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if len(p) < 1+tokenLen || p[0] != '/' {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	in := (*Runtime)(h).lookup(p[1 : 1+tokenLen])
	if in == nil || !strings.HasPrefix(p[1+tokenLen:], apiPrefix) {
		w.WriteHeader(http.StatusNotFound) // reveals nothing about tokens
		return
	}
	rest := p[1+tokenLen+len(apiPrefix):]
	switch {
	case rest == "invocation/next":
		if method(w, r, http.MethodGet) {
			in.serveNext(w, r)
		}
	case rest == "updraft/specialize":
		if method(w, r, http.MethodGet) {
			in.serveSpecialize(w, r)
		}
	case rest == "updraft/ping" && in.assign != nil:
		if method(w, r, http.MethodGet) {
			accepted(w) // a stem warming its HTTP client
		}
	case rest == "init/error":
		if method(w, r, http.MethodPost) {
			in.serveInitError(w, r)
		}
	case strings.HasPrefix(rest, "invocation/"):
		id, action, ok := strings.Cut(rest[len("invocation/"):], "/")
		if !ok || (action != "response" && action != "error") {
			apiError(w, http.StatusNotFound, "NotFound", "unknown Runtime API path")
			return
		}
		if method(w, r, http.MethodPost) {
			in.serveResult(w, r, id, action == "error")
		}
	default:
		apiError(w, http.StatusNotFound, "NotFound", "unknown Runtime API path")
	}
}

// method answers 405 unless r uses want.
func method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want {
		return true
	}
	w.Header()["Allow"] = []string{want}
	apiError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed here: use "+want)
	return false
}

// serveNext blocks until the instance has an event, then sends it.
func (in *instance) serveNext(w http.ResponseWriter, r *http.Request) {
	in.readyOnce.Do(in.markReady)
	k := in.polls.Add(1)
	select {
	case in.polled <- struct{}{}:
	default:
	}
	var req *runtime.Request
	select {
	case req = <-in.next:
	case <-in.done:
		apiError(w, http.StatusGone, "InstanceClosed", "the instance is shutting down")
		return
	case <-r.Context().Done():
		return
	}
	in.took.Store(k)
	hdr := w.Header()
	hdr[hdrRequestID] = []string{req.ID}
	hdr[hdrDeadline] = []string{strconv.FormatInt(req.Deadline.UnixMilli(), 10)}
	hdr[hdrFunctionARN] = []string{in.spec.ARN}
	if req.TraceID != "" {
		hdr[hdrTraceID] = []string{req.TraceID}
	}
	if req.ClientContext != "" {
		hdr[hdrClientContext] = []string{req.ClientContext}
	}
	hdr["Content-Type"] = jsonType
	hdr["Content-Length"] = []string{strconv.Itoa(len(req.Payload))}
	w.WriteHeader(http.StatusOK)
	w.Write(req.Payload)
}

func (in *instance) markReady() { in.readyAt = time.Now() }

// serveResult takes the outcome of the current invocation.
func (in *instance) serveResult(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	in.mu.Lock()
	ok := in.cur != nil && in.cur.ID == id
	if ok {
		in.cur = nil // a second post for the same id is refused
	}
	in.mu.Unlock()
	if !ok {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+strconv.Quote(id)+" is not the invocation in flight")
		return
	}
	res := in.readResult(r, isError)
	// Hand the result over first: the caller's latency does not include
	// the 202 that lets the runtime ask for its next event.
	in.results <- res // cap 1 and one result per invocation: never blocks
	if res.kind == resultTooLarge {
		w.Header()["Connection"] = []string{"close"} // the rest of the body stays unread
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size ("+strconv.Itoa(fn.MaxSyncPayload)+" bytes).")
		return
	}
	accepted(w)
}

// readResult reads a /response or /error body.
func (in *instance) readResult(r *http.Request, isError bool) result {
	body, tooLarge, err := readBody(r, int(in.respCap.Load()))
	switch {
	case tooLarge:
		return result{kind: resultTooLarge, errorType: "Function.ResponseSizeTooLarge", payload: errorJSON("Function.ResponseSizeTooLarge", tooLargeMessage(r.ContentLength))}
	case err != nil:
		return result{kind: resultError, errorType: "Runtime.ResponseReadError", payload: errorJSON("Runtime.ResponseReadError", "Error: reading the runtime's result failed: "+err.Error())}
	}
	if !isError {
		// aws-lambda-go streams the body and reports a failure mid-body in
		// trailers.
		if et := r.Trailer.Get(hdrErrorType); et != "" {
			if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody)); err == nil {
				body = b
			}
			return result{kind: resultError, errorType: et, payload: errorPayload(body, et)}
		}
		// The next chunked body is likely about as big as this one.
		n := int64(len(body))
		in.respCap.Store(max(n+n/8, 512))
		return result{kind: resultResponse, payload: body}
	}
	et := errorTypeOf(body, r.Header.Get(hdrErrorType))
	return result{kind: resultError, errorType: et, payload: errorPayload(body, et)}
}

// serveInitError takes a POST /init/error.
func (in *instance) serveInitError(w http.ResponseWriter, r *http.Request) {
	if in.polls.Load() > 0 {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "init/error after init: report invocation errors to invocation/<id>/error")
		return
	}
	body, _, err := readBody(r, 1024)
	if err != nil {
		body = nil
	}
	et := errorTypeOf(body, r.Header.Get(hdrErrorType))
	select {
	case in.initErr <- result{kind: resultError, errorType: et, payload: errorPayload(body, et)}:
	default: // the first report wins
	}
	accepted(w)
}

func accepted(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Content-Type"] = jsonType
	hdr["Content-Length"] = acceptedCL
	w.WriteHeader(http.StatusAccepted)
	w.Write(acceptedOK)
}

func apiError(w http.ResponseWriter, status int, errorType, msg string) {
	body := errorJSON(errorType, msg)
	hdr := w.Header()
	hdr["Content-Type"] = jsonType
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// readBody reads r's body into a new slice, at most fn.MaxSyncPayload
// bytes; hint sizes the slice when the length is not announced (chunked).
func readBody(r *http.Request, hint int) (body []byte, tooLarge bool, err error) {
	const limit = fn.MaxSyncPayload
	if r.ContentLength > limit {
		return nil, true, nil
	}
	if r.ContentLength >= 0 {
		body = make([]byte, r.ContentLength)
		if _, err = io.ReadFull(r.Body, body); err != nil {
			return nil, false, err
		}
		return body, false, nil
	}
	// Chunked, as aws-lambda-go sends it: read to EOF, which also reads
	// the trailers.
	body = make([]byte, 0, min(max(hint, 512), limit+1))
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
		n, rerr := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if len(body) > limit {
			return nil, true, nil
		}
		if rerr == io.EOF {
			return body, false, nil
		}
		if rerr != nil {
			return nil, false, rerr
		}
	}
}

// errorTypeOf is the errorType of an error JSON body, else the header's.
func errorTypeOf(body []byte, header string) string {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &e) == nil && e.ErrorType != "" {
		return e.ErrorType
	}
	if header != "" {
		return header
	}
	return "Unhandled"
}

// errorPayload returns body if it is a JSON value, else wraps it as
// Lambda's error JSON.
func errorPayload(body []byte, errorType string) []byte {
	if len(body) > 0 && json.Valid(body) {
		return body
	}
	return errorJSON(errorType, string(body))
}

// errorJSON is Lambda's error shape: {"errorType":…,"errorMessage":…}.
func errorJSON(errorType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, msg})
	return b
}

func tooLargeMessage(n int64) string {
	if n > 0 {
		return "Response payload size (" + strconv.FormatInt(n, 10) + " bytes) exceeded maximum allowed payload size (" + strconv.Itoa(fn.MaxSyncPayload) + " bytes)."
	}
	return "Response payload size exceeded maximum allowed payload size (" + strconv.Itoa(fn.MaxSyncPayload) + " bytes)."
}
