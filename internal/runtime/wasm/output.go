package wasm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// maxLogBytes caps the output kept per invocation, as for process
// instances; the rest is counted and dropped.
const maxLogBytes = 1 << 20

// capBuffer is an io.Writer that keeps at most max bytes and counts the
// rest: a guest writing without end costs the platform nothing but the
// count.
type capBuffer struct {
	mu      sync.Mutex
	buf     []byte
	max     int
	dropped int64
}

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	room := b.max - len(b.buf)
	if room >= len(p) {
		b.buf = append(b.buf, p...)
	} else {
		if room > 0 {
			b.buf = append(b.buf, p[:room]...)
		}
		b.dropped += int64(len(p) - max(room, 0))
	}
	b.mu.Unlock()
	return len(p), nil
}

// take returns what was written since the last take and starts afresh.
// Dropped output is noted on a line of its own.
func (b *capBuffer) take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.buf
	if b.dropped > 0 {
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		out = fmt.Appendf(out, "[updraft: %d bytes of output dropped: the limit is %d bytes per invocation]\n", b.dropped, b.max)
	}
	b.buf, b.dropped = nil, 0
	return out
}

// overflowed reports whether anything was dropped since the last take.
func (b *capBuffer) overflowed() (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.buf)) + b.dropped, b.dropped > 0
}

// errorJSON is Lambda's error body.
func errorJSON(errorType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, msg})
	return b
}

func tooLargeMessage(n int64) string {
	return "Response payload size (" + strconv.FormatInt(n, 10) + " bytes) exceeded maximum allowed payload size (" + strconv.Itoa(6<<20) + " bytes)."
}
