// hello-wasm-go is a Wasm reactor written with Updraft's guest package:
// initialised once, then called for every event while its instance is warm.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o examples/hello-wasm-go/hello.wasm ./examples/hello-wasm-go
//	updraft deploy examples/hello-wasm-go
//	updraft invoke hello-wasm-go --data '{"name":"Ada"}'
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/updraft-dev/updraft/guest/wasm"
)

type event struct {
	Name string `json:"name"`
}

type response struct {
	Message string `json:"message"`
	Calls   int    `json:"calls"` // this instance's calls so far: it stays warm
}

var calls int

func init() {
	wasm.HandleJSON(func(ctx context.Context, e event) (response, error) {
		if e.Name == "" {
			e.Name = "world"
		}
		calls++
		fmt.Fprintln(os.Stderr, "greeting", e.Name) // stderr and stdout are the function's log
		return response{Message: "hello, " + e.Name, Calls: calls}, nil
	})
}

// main is not run in a reactor: the handler is registered in init.
func main() {}
