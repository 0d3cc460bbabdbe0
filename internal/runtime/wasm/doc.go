// Package wasm is the runtime "wasm": functions as WebAssembly modules run
// by wazero inside the platform's own process. It owns compiling and
// validating modules at deploy (with wazero's compilation cache on disk),
// the two guest styles — WASI commands, whose _start runs per call with
// the event on stdin, and reactors, initialised once and called through
// the updraft_alloc/updraft_handle/updraft_response ABI (guest/wasm is the
// Go side) — and the limits every instance keeps: memory as the function's
// size, timeouts that discard the instance, a capped /tmp, no host
// filesystem and no network. It implements runtime.Runtime and passes
// runtime/runtimetest; docs/WASM.md describes the ABI.
package wasm
