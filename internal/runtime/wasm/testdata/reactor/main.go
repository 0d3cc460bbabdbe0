// The reactor fixture of the runtimetest suite and the hostile tests: one
// module, its behaviour chosen by the FIXTURE environment variable.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/guest/wasm"
)

var count int

func init() {
	fixture := os.Getenv("FIXTURE")
	if fixture == "init-fail" {
		fmt.Fprintln(os.Stderr, "init-fail: failing on purpose")
		os.Exit(1)
	}
	wasm.Handle(func(ctx context.Context, event []byte) ([]byte, error) {
		var in struct {
			Message string   `json:"message"`
			MS      int      `json:"ms"`
			Lines   []string `json:"lines"`
			MB      int      `json:"mb"`
			Depth   int      `json:"depth"`
		}
		json.Unmarshal(event, &in)
		switch fixture {
		case "echo":
			return event, nil
		case "count":
			count++
			return json.Marshal(map[string]int{"count": count})
		case "error":
			return nil, &wasm.Error{Type: "FixtureError", Message: in.Message}
		case "sleep":
			time.Sleep(time.Duration(in.MS) * time.Millisecond)
			return json.Marshal(map[string]int{"slept": in.MS})
		case "crash":
			panic("crash fixture: crashing on purpose")
		case "log":
			for _, l := range in.Lines {
				fmt.Fprintln(os.Stderr, l)
			}
			return json.Marshal(map[string]int{"lines": len(in.Lines)})
		case "loop":
			for {
				count++
			}
		case "membomb":
			var keep [][]byte
			for i := 0; ; i++ {
				b := make([]byte, 1<<20)
				b[i%len(b)] = 1
				keep = append(keep, b)
			}
		case "passwd":
			b, err := os.ReadFile("/etc/passwd")
			if err != nil {
				return nil, &wasm.Error{Type: "ReadError", Message: err.Error()}
			}
			return json.Marshal(string(b))
		case "tmp":
			// writes in.MB megabytes to /tmp, one file per call
			f, err := os.CreateTemp("/tmp", "fill")
			if err != nil {
				return nil, &wasm.Error{Type: "TmpError", Message: err.Error()}
			}
			defer f.Close()
			chunk := []byte(strings.Repeat("x", 1<<20))
			for i := 0; i < in.MB; i++ {
				if _, err := f.Write(chunk); err != nil {
					return nil, &wasm.Error{Type: "TmpError", Message: err.Error()}
				}
			}
			return []byte(`"written"`), nil
		case "env":
			return json.Marshal(map[string]any{"env": os.Getenv(in.Message), "now": time.Now().Unix()})
		case "stdout":
			// huge stdout: in.MB megabytes written to stdout (logs)
			chunk := strings.Repeat("y", 1<<20)
			for i := 0; i < in.MB; i++ {
				fmt.Print(chunk)
			}
			return []byte(`"printed"`), nil
		}
		return nil, fmt.Errorf("unknown fixture %q", fixture)
	})
}

func main() {}
