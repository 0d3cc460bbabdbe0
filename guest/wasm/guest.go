package wasm

import (
	"context"
	"encoding/json"
)

// Handler handles one event (JSON) and returns the response (JSON).
type Handler func(ctx context.Context, event []byte) ([]byte, error)

// handler is the registered handler, called by updraft_handle.
var handler Handler

// Handle registers h as the function's handler. Call it from an init
// function: a reactor's main is never run.
func Handle(h Handler) { handler = h }

// Registered returns the handler registered with Handle (nil before): a
// guest's own tests call it on the host, without a Wasm runtime.
func Registered() Handler { return handler }

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
