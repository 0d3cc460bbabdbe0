// Command hello-go is the smallest Go function: an unmodified aws-lambda-go
// handler that greets the name in its event.
//
// Build it as the executable named bootstrap that the provided/go runtime
// starts, from the repository root:
//
//	go build -o examples/hello-go/bootstrap ./examples/hello-go
//
// then deploy the directory (it holds updraft.yaml):
//
//	updraft deploy examples/hello-go
//	updraft invoke hello-go '{"name":"Ada"}'
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

// Event is the function's input: {"name": "Ada"}.
type Event struct {
	Name string `json:"name"`
}

// Reply is the function's output: {"message": "Hello, Ada!"}.
type Reply struct {
	Message string `json:"message"`
}

func handle(ctx context.Context, ev Event) (Reply, error) {
	name := ev.Name
	if name == "" {
		name = "world"
	}
	fmt.Println("greeting", name) // stdout becomes the invocation's log
	return Reply{Message: "Hello, " + name + "!"}, nil
}

func main() {
	lambda.Start(handle)
}
