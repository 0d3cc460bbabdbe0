// Command behave is an aws-lambda-go function whose behaviour the event
// chooses, for the process runtime's tests. Build it from the module root:
//
//	go build -o DIR/bootstrap ./internal/runtime/process/testdata/behave
//
// INIT_ACTION in its environment picks an init behaviour: exit, initerror
// (POST /init/error), hang.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action string   `json:"action"`
	N      int      `json:"n"`
	Tag    string   `json:"tag"`
	Paths  []string `json:"paths"`
	Pid    int      `json:"pid"`
	URL    string   `json:"url"`
}

func handle(ctx context.Context, ev event) (any, error) {
	switch ev.Action {
	case "pid":
		return map[string]int{"pid": os.Getpid()}, nil
	case "env":
		return os.Environ(), nil
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"request_id": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
			"deadline_ms": deadline.UnixMilli(), "cwd": must(os.Getwd()),
		}, nil
	case "lines": // N lines, alternating stdout and stderr, right before returning
		for i := range ev.N {
			w := os.Stdout
			if i%2 == 1 {
				w = os.Stderr
			}
			fmt.Fprintf(w, "%s line %d\n", ev.Tag, i)
		}
		return ev.Tag, nil
	case "flood": // N bytes of output in 100-byte lines
		line := []byte(strings.Repeat("f", 99) + "\n")
		for n := ev.N; n > 0; n -= len(line) {
			os.Stdout.Write(line[:min(n, len(line))])
		}
		return "flooded", nil
	case "later": // a line printed N ms after the response
		go func() {
			time.Sleep(time.Duration(ev.N) * time.Millisecond)
			fmt.Println(ev.Tag)
		}()
		return "ok", nil
	case "sleep":
		time.Sleep(time.Duration(ev.N) * time.Millisecond)
		return "slept", nil
	case "spinchild": // a child burns CPU for N ms while this waits for it
		c := exec.Command("timeout", strconv.FormatFloat(float64(ev.N)/1000, 'f', 3, 64), "sh", "-c", "while :; do :; done")
		c.Run() // timeout ends it with status 124
		return "spun", nil
	case "spawn": // a child in the same process group, then sleep
		c := exec.Command("sleep", "60")
		if err := c.Start(); err != nil {
			return nil, err
		}
		fmt.Printf("child %d\n", c.Process.Pid)
		time.Sleep(time.Duration(ev.N) * time.Millisecond)
		return "slept", nil
	case "exit":
		fmt.Println("exiting with", ev.N)
		os.Exit(ev.N)
	case "panic":
		panic("behave panics: " + ev.Tag)
	case "error":
		return nil, errors.New("handled failure: " + ev.Tag)
	case "big":
		return strings.Repeat("x", ev.N), nil
	case "forkbomb": // children until the kernel refuses, at most N
		return forkbomb(ev.N), nil
	case "spin": // burn CPU for N ms, or forever when N is 0
		spin(ev.N)
		return "spun", nil
	case "filltmp": // write /tmp/fill until the disk is full, at most N MB
		return fillTmp(ev.N), nil
	case "probe": // escape attempts; each entry is what happened
		return probe(ev), nil
	case "writetmp": // leave a file behind in /tmp
		return nil, os.WriteFile("/tmp/"+ev.Tag, []byte(ev.Tag), 0o644)
	case "mem": // touch N MB
		b := make([]byte, ev.N<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		return len(b), nil
	}
	return nil, fmt.Errorf("unknown action %q", ev.Action)
}

func must[T any](v T, _ error) T { return v }

func main() {
	fmt.Println("behave: init")
	switch os.Getenv("INIT_ACTION") {
	case "exit":
		fmt.Fprintln(os.Stderr, "behave: giving up")
		os.Exit(2)
	case "initerror":
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"errorMessage":"missing config","errorType":"Runtime.ConfigError","stackTrace":[]}`))
		if err == nil {
			fmt.Println("init/error status", resp.StatusCode)
		}
		time.Sleep(time.Minute)
	case "hang":
		time.Sleep(time.Minute)
	}
	lambda.Start(handle)
}
