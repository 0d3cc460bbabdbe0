// Package wasmtest supplies Wasm guests to the wasm runtime's tests and to
// the benchmarks: tiny modules assembled here byte by byte (a WASI echo
// command, a trapping command, a stack-overflowing reactor, a module that
// imports a host function nobody provides), and Go guests built with the
// local Go toolchain (GOOS=wasip1) into a directory of the caller's.
package wasmtest
