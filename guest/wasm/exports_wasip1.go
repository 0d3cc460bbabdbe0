package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"time"
	"unsafe"
)

var (
	event    []byte // the buffer updraft_alloc handed out
	response []byte // the last result, kept alive until the next call
)

// The reactor ABI's exports (package doc). They exist in GOOS=wasip1
// builds only; elsewhere the package compiles so that tools see the
// handler's code, and Handle only registers.

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
