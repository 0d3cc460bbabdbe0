package process

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

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
	jsonType   = []string{"application/json"} // for stem.go's net/http handler
	acceptedOK = []byte(`{"status":"OK"}`)
)

// serve routes one Runtime API request. It runs on the request's
// connection goroutine (apiserver.go); a GET /next blocks there until the
// instance has an event.
func (h *apiHandler) serve(ctx *fasthttp.RequestCtx) {
	p := ctx.Path()
	if len(p) < 1+tokenLen || p[0] != '/' {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		return
	}
	in := (*Runtime)(h).lookup(p[1 : 1+tokenLen])
	if in == nil || !bytes.HasPrefix(p[1+tokenLen:], []byte(apiPrefix)) {
		ctx.SetStatusCode(fasthttp.StatusNotFound) // reveals nothing about tokens
		return
	}
	rest := p[1+tokenLen+len(apiPrefix):]
	switch {
	case string(rest) == "invocation/next":
		if method(ctx, fasthttp.MethodGet) {
			in.serveNext(ctx)
		}
	case string(rest) == "updraft/specialize":
		if method(ctx, fasthttp.MethodGet) {
			// A stem's one request: net/http's shape, through the adaptor.
			fasthttpadaptor.NewFastHTTPHandlerFunc(in.serveSpecialize)(ctx)
		}
	case string(rest) == "updraft/ping" && in.assign != nil:
		if method(ctx, fasthttp.MethodGet) {
			replyAccepted(ctx) // a stem warming its HTTP client
		}
	case string(rest) == "init/error":
		if method(ctx, fasthttp.MethodPost) {
			in.serveInitError(ctx)
		}
	case bytes.HasPrefix(rest, []byte("invocation/")):
		id, action, ok := bytes.Cut(rest[len("invocation/"):], []byte("/"))
		isError := string(action) == "error"
		if !ok || (!isError && string(action) != "response") {
			replyError(ctx, fasthttp.StatusNotFound, "NotFound", "unknown Runtime API path")
			return
		}
		if method(ctx, fasthttp.MethodPost) {
			in.serveResult(ctx, id, isError)
		}
	default:
		replyError(ctx, fasthttp.StatusNotFound, "NotFound", "unknown Runtime API path")
	}
}

// method answers 405 unless the request uses want.
func method(ctx *fasthttp.RequestCtx, want string) bool {
	m := ctx.Method()
	if string(m) == want {
		return true
	}
	ctx.Response.Header.Set("Allow", want)
	replyError(ctx, fasthttp.StatusMethodNotAllowed, "MethodNotAllowed", string(m)+" is not allowed here: use "+want)
	return false
}

// serveNext blocks until the instance has an event, then sends it.
//
// A runtime that drops its GET /next and stays alive is not noticed (the
// server has no reader watching an idle request, which net/http paid for
// on every request): its event would wait for the deadline. The runtime
// clients never do that; a process that dies is noticed through exited.
func (in *instance) serveNext(ctx *fasthttp.RequestCtx) {
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
		replyError(ctx, fasthttp.StatusGone, "InstanceClosed", "the instance is shutting down")
		return
	case <-in.exited:
		ctx.SetConnectionClose()
		return
	}
	in.took.Store(k)
	var num [20]byte
	h := &ctx.Response.Header
	h.SetCanonical([]byte(hdrRequestID), []byte(req.ID))
	h.SetCanonical([]byte(hdrDeadline), strconv.AppendInt(num[:0], req.Deadline.UnixMilli(), 10))
	h.SetCanonical([]byte(hdrFunctionARN), []byte(in.spec.ARN))
	if req.TraceID != "" {
		h.SetCanonical([]byte(hdrTraceID), []byte(req.TraceID))
	}
	if req.ClientContext != "" {
		h.SetCanonical([]byte(hdrClientContext), []byte(req.ClientContext))
	}
	h.SetContentTypeBytes([]byte("application/json"))
	// A copy: the payload's buffer goes back to the gateway's pool once
	// the call returns, which may be before the server wrote it all.
	ctx.SetBody(req.Payload)
}

func (in *instance) markReady() { in.readyAt = time.Now() }

// serveResult takes the outcome of the current invocation.
func (in *instance) serveResult(ctx *fasthttp.RequestCtx, id []byte, isError bool) {
	in.mu.Lock()
	ok := in.cur != nil && in.cur.ID == string(id)
	if ok {
		in.cur = nil // a second post for the same id is refused
	}
	in.mu.Unlock()
	if !ok {
		replyError(ctx, fasthttp.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+strconv.Quote(string(id))+" is not the invocation in flight")
		return
	}
	res := in.readResult(ctx, isError)
	// Hand the result over first: the caller's latency does not include
	// the 202 that lets the runtime ask for its next event, which the
	// server writes once this returns.
	in.results <- res // cap 1 and one result per invocation: never blocks
	if res.kind == resultTooLarge {
		// Read the rest of the body (up to a bound) before answering, so
		// that the runtime finishes writing it and reads the 413: a reply
		// and close in the middle of its write resets the connection under
		// it (Node's client then dies of an unhandled ECONNRESET).
		if ctx.Request.IsBodyStream() {
			_, _ = io.Copy(io.Discard, io.LimitReader(ctx.RequestBodyStream(), maxDrain))
		}
		ctx.SetConnectionClose()
		replyError(ctx, fasthttp.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size ("+strconv.Itoa(fn.MaxSyncPayload)+" bytes).")
		return
	}
	replyAccepted(ctx)
}

// readResult reads a /response or /error body.
func (in *instance) readResult(ctx *fasthttp.RequestCtx, isError bool) result {
	body, tooLarge, err := readBody(ctx)
	switch {
	case tooLarge:
		return result{kind: resultTooLarge, errorType: "Function.ResponseSizeTooLarge", payload: errorJSON("Function.ResponseSizeTooLarge", tooLargeMessage(int64(ctx.Request.Header.ContentLength())))}
	case err != nil:
		return result{kind: resultError, errorType: "Runtime.ResponseReadError", payload: errorJSON("Runtime.ResponseReadError", "Error: reading the runtime's result failed: "+err.Error())}
	}
	if !isError {
		// aws-lambda-go streams the body and reports a failure mid-body in
		// trailers, which only a chunked body has.
		if et := ctx.Request.Header.Peek(hdrErrorType); len(et) > 0 && ctx.Request.Header.ContentLength() < 0 {
			if b, err := base64.StdEncoding.DecodeString(string(ctx.Request.Header.Peek(hdrErrorBody))); err == nil {
				body = b
			}
			return result{kind: resultError, errorType: string(et), payload: errorPayload(body, string(et))}
		}
		return result{kind: resultResponse, payload: body}
	}
	et := errorTypeOf(body, string(ctx.Request.Header.Peek(hdrErrorType)))
	return result{kind: resultError, errorType: et, payload: errorPayload(body, et)}
}

// serveInitError takes a POST /init/error.
func (in *instance) serveInitError(ctx *fasthttp.RequestCtx) {
	if in.polls.Load() > 0 {
		replyError(ctx, fasthttp.StatusForbidden, "InvalidStateTransition", "init/error after init: report invocation errors to invocation/<id>/error")
		return
	}
	body, _, err := readBody(ctx)
	if err != nil {
		body = nil
	}
	et := errorTypeOf(body, string(ctx.Request.Header.Peek(hdrErrorType)))
	select {
	case in.initErr <- result{kind: resultError, errorType: et, payload: errorPayload(body, et)}:
	default: // the first report wins
	}
	replyAccepted(ctx)
}

func replyAccepted(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(fasthttp.StatusAccepted)
	ctx.Response.Header.SetContentTypeBytes([]byte("application/json"))
	ctx.Response.SetBodyRaw(acceptedOK)
}

func replyError(ctx *fasthttp.RequestCtx, status int, errorType, msg string) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes([]byte("application/json"))
	ctx.Response.SetBodyRaw(errorJSON(errorType, msg))
}

// apiError is replyError for stem.go's net/http handler.
func apiError(w http.ResponseWriter, status int, errorType, msg string) {
	body := errorJSON(errorType, msg)
	hdr := w.Header()
	hdr["Content-Type"] = jsonType
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// maxDrain bounds what is read and discarded of a result over the limit
// before the 413; past it the connection is closed mid-body.
const maxDrain = 64 << 20

// readBody returns the request's body in a new slice, at most
// fn.MaxSyncPayload bytes. The server reads bodies up to that size before
// the handler runs (apiserver.go); a larger one arrives as a stream, of
// which readBody reads one byte past the limit.
func readBody(ctx *fasthttp.RequestCtx) (body []byte, tooLarge bool, err error) {
	const limit = fn.MaxSyncPayload
	if n := ctx.Request.Header.ContentLength(); n > limit {
		return nil, true, nil
	}
	if !ctx.Request.IsBodyStream() {
		b := ctx.Request.Body()
		if len(b) > limit {
			return nil, true, nil
		}
		return append([]byte(nil), b...), false, nil
	}
	body, err = io.ReadAll(io.LimitReader(ctx.RequestBodyStream(), limit+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > limit {
		return nil, true, nil
	}
	return body, false, nil
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
