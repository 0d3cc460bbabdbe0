// Package wasm is the guest side of Updraft's Wasm reactor ABI: a Go
// function built for GOOS=wasip1 registers its handler here and is
// initialised once, then called for every event while its instance is warm.
//
//	package main
//
//	import (
//		"context"
//
//		"github.com/updraft-dev/updraft/guest/wasm"
//	)
//
//	func init() {
//		wasm.Handle(func(ctx context.Context, event []byte) ([]byte, error) {
//			return []byte(`{"hello":"world"}`), nil
//		})
//	}
//
//	func main() {} // not run in a reactor: register in init
//
// Build it as a reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o handler.wasm .
//
// The ABI (what any language implements to be a reactor, docs/WASM.md):
//
//	_initialize()                          WASI reactor init, run once
//	updraft_alloc(size i32) -> i32         a guest buffer of size bytes for the event
//	updraft_handle(ptr, len i32, deadline_ms i64) -> i32
//	                                       0: success, 1: a handled error
//	updraft_response() -> i64              the last result: ptr<<32 | len
//
// A handled error's response is Lambda's error JSON
// {"errorType":…,"errorMessage":…}. A panic is not recovered: the instance
// ends, the call is a crash, and the next call gets a new instance.
package wasm
