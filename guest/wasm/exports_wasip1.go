package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
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
	ctx := &callContext{Context: context.Background()}
	if deadlineMS > 0 {
		ctx.deadline = time.UnixMilli(deadlineMS)
	}
	defer ctx.release()
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

// callContext is a call's context: its Deadline is the invocation's, and
// its Done channel and timer are made only when asked for. A Go timer costs
// tens of µs per call in a Wasm guest, more than the rest of a warm call,
// and most handlers never wait on Done (the host stops the call at the
// deadline in any case).
type callContext struct {
	context.Context // Background: values, and no deadline of its own
	deadline        time.Time
	once            sync.Once
	inner           context.Context
	cancel          context.CancelFunc
}

func (c *callContext) Deadline() (time.Time, bool) { return c.deadline, !c.deadline.IsZero() }

func (c *callContext) Done() <-chan struct{} {
	c.init()
	return c.inner.Done()
}

func (c *callContext) Err() error {
	if c.inner != nil {
		return c.inner.Err()
	}
	if !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *callContext) init() {
	c.once.Do(func() {
		if c.deadline.IsZero() {
			c.inner, c.cancel = context.WithCancel(context.Background())
		} else {
			c.inner, c.cancel = context.WithDeadline(context.Background(), c.deadline)
		}
	})
}

// release stops the timer, if Done made one.
func (c *callContext) release() {
	if c.cancel != nil {
		c.cancel()
	}
}
