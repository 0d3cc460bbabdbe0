// The command fixture: a WASI command (GOOS=wasip1) run per call, the event
// on stdin, the response on stdout; its behaviour is chosen by FIXTURE.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	event, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read stdin:", err)
		os.Exit(1)
	}
	var in struct {
		Message string   `json:"message"`
		MS      int      `json:"ms"`
		Lines   []string `json:"lines"`
		MB      int      `json:"mb"`
	}
	json.Unmarshal(event, &in)
	switch os.Getenv("FIXTURE") {
	case "echo":
		os.Stdout.Write(event)
	case "count":
		// state lives in the instance's /tmp between calls
		b, _ := os.ReadFile("/tmp/count")
		n, _ := strconv.Atoi(string(b))
		n++
		if err := os.WriteFile("/tmp/count", []byte(strconv.Itoa(n)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "write /tmp/count:", err)
			os.Exit(1)
		}
		fmt.Printf(`{"count":%d}`, n)
	case "error":
		// a handled error: Lambda's error JSON on stdout, a non-zero exit
		b, _ := json.Marshal(map[string]string{"errorType": "FixtureError", "errorMessage": in.Message})
		os.Stdout.Write(b)
		os.Exit(1)
	case "exit":
		fmt.Fprintln(os.Stderr, "first line")
		fmt.Fprintln(os.Stderr, "something went wrong")
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Duration(in.MS) * time.Millisecond)
		fmt.Printf(`{"slept":%d}`, in.MS)
	case "log":
		for _, l := range in.Lines {
			fmt.Fprintln(os.Stderr, l)
		}
		fmt.Printf(`{"lines":%d}`, len(in.Lines))
	case "stdout":
		chunk := strings.Repeat("y", 1<<20)
		for i := 0; i < in.MB; i++ {
			fmt.Print(chunk)
		}
	case "passwd":
		b, err := os.ReadFile("/etc/passwd")
		if err != nil {
			fmt.Fprintln(os.Stderr, "read /etc/passwd:", err)
			os.Exit(1)
		}
		os.Stdout.Write(b)
	default:
		fmt.Fprintln(os.Stderr, "unknown fixture", os.Getenv("FIXTURE"))
		os.Exit(2)
	}
}
