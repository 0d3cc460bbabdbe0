// Command sleeper is an aws-lambda-go function that sleeps for the event's
// "ms" milliseconds and returns an id drawn when its instance started, so a
// test can count the instances that served a burst.
package main

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Ms int `json:"ms"`
}

var instance = rand.Text()

func handle(ctx context.Context, ev event) (map[string]string, error) {
	time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	return map[string]string{"instance": instance}, nil
}

func main() { lambda.Start(handle) }
