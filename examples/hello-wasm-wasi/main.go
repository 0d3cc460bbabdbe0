// hello-wasm-wasi is a WASI command: any toolchain that targets WASI
// preview 1 (Go GOOS=wasip1, TinyGo, Rust wasm32-wasip1, C with wasi-libc)
// builds one. Each call runs _start with the event on stdin; what it
// writes to stdout is the response, stderr is its log, and a non-zero exit
// is a function error.
//
//	GOOS=wasip1 GOARCH=wasm go build -o examples/hello-wasm-wasi/hello.wasm ./examples/hello-wasm-wasi
//	updraft deploy examples/hello-wasm-wasi
//	updraft invoke hello-wasm-wasi --data '{"name":"Ada"}'
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	var e struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&e); err != nil {
		fmt.Fprintln(os.Stderr, "the event is not a JSON object:", err)
		os.Exit(1) // errorMessage: the last line of stderr
	}
	if e.Name == "" {
		e.Name = "world"
	}
	fmt.Fprintln(os.Stderr, "greeting", e.Name)
	json.NewEncoder(os.Stdout).Encode(map[string]string{"message": "hello, " + e.Name})
}
