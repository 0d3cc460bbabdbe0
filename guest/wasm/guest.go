//go:build wasip1

package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"time"
	"unsafe"
)

// Handler handles one event (JSON) and returns the response (JSON).
type Handler func(ctx context.Context, event []byte) ([]byte, error)

var (
	handler  Handler
	event    []byte // the buffer updraft_alloc handed out
	response []byte // the last result, kept alive until the next call
)

// Handle registers h as the function's handler. Call it from an init
// function: a reactor's main is never run.
func Handle(h Handler) { handler = h }

// HandleJSON registers a handler of typed values: the event is decoded into
// In and the result encoded from Out with encoding/json.
func HandleJSON[In, Out any](h func(ctx context.Context, event In) (Out, error)) {
	Handle(func(ctx context.Context, b []byte) ([]byte, error) {
		var in In
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, &Error{Type: "Runtime.UnmarshalError", Message: err.Error()}
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	})
}

// Error is a handled error with an explicit errorType.
type Error struct {
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Message }

//go:wasmexport updraft_alloc
func updraftAlloc(size int32) unsafe.Pointer {
	if int(size) > cap(event) {
		event = make([]byte, size)
	}
	event = event[:size]
	if size == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(event))
}

//go:wasmexport updraft_handle
func updraftHandle(ptr unsafe.Pointer, size int32, deadlineMS int64) int32 {
	if handler == nil {
		response = errorJSON("Runtime.NoHandler", "no handler: call wasm.Handle in an init function")
		return 1
	}
	in := unsafe.Slice((*byte)(ptr), size)
	ctx := context.Background()
	if deadlineMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(deadlineMS))
		defer cancel()
	}
	out, err := handler(ctx, in)
	if err != nil {
		response = errorJSON(errorType(err), err.Error())
		return 1
	}
	response = out
	return 0
}

//go:wasmexport updraft_response
func updraftResponse() int64 {
	if len(response) == 0 {
		return 0
	}
	return int64(uintptr(unsafe.Pointer(unsafe.SliceData(response))))<<32 | int64(len(response))
}

// errorType is err's Type when it is an *Error, else its Go type's name,
// as aws-lambda-go reports it.
func errorType(err error) string {
	if e, ok := errors.AsType[*Error](err); ok && e.Type != "" {
		return e.Type
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func errorJSON(errorType, message string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, message})
	return b
}
