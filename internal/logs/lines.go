package logs

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// StartLine is Lambda's first line of an invocation.
func StartLine(requestID, version string) string {
	return "START RequestId: " + requestID + " Version: " + version
}

// EndLine is Lambda's line after the function's own output.
func EndLine(requestID string) string {
	return "END RequestId: " + requestID
}

// Report is what the REPORT line of an invocation says.
type Report struct {
	RequestID    string
	Duration     time.Duration
	BilledMs     int64
	MemoryMB     int
	MaxMemoryMB  int
	InitDuration time.Duration // 0 = warm start, left out of the line
	// Status is "" for a call that ran to its end (left out of the line),
	// StatusTimeout or StatusError when the platform ended it.
	Status string
	// ErrorType names the error of a call with StatusError
	// (Runtime.ExitError, Runtime.OutOfMemory).
	ErrorType string
}

// Statuses of the REPORT line, as Lambda writes them for a call the
// platform ended.
const (
	StatusTimeout = "timeout"
	StatusError   = "error"
)

// ReportLine is Lambda's last line of an invocation, fields separated by
// tabs, durations in milliseconds with two decimals.
func ReportLine(r Report) string {
	b := make([]byte, 0, 160)
	b = append(b, "REPORT RequestId: "...)
	b = append(b, r.RequestID...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, r.Duration)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, r.BilledMs, 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(r.MemoryMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendInt(b, int64(r.MaxMemoryMB), 10)
	b = append(b, " MB"...)
	if r.InitDuration > 0 {
		b = append(b, "\tInit Duration: "...)
		b = appendMillis(b, r.InitDuration)
		b = append(b, " ms"...)
	}
	if r.Status != "" {
		b = append(b, "\tStatus: "...)
		b = append(b, r.Status...)
		if r.ErrorType != "" {
			b = append(b, "\tError Type: "...)
			b = append(b, r.ErrorType...)
		}
	}
	return string(b)
}

// TimeoutLine is the line Lambda writes before END when it stopped a call
// at its timeout: the time (UTC, milliseconds), the request id and the
// configured timeout in seconds with two decimals, e.g.
// "2026-01-02T03:04:05.678Z 8f50… Task timed out after 3.00 seconds".
func TimeoutLine(at time.Time, requestID string, timeout time.Duration) string {
	b := make([]byte, 0, 100)
	b = at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, ' ')
	b = append(b, requestID...)
	b = append(b, " Task timed out after "...)
	b = strconv.AppendFloat(b, timeout.Seconds(), 'f', 2, 64)
	b = append(b, " seconds"...)
	return string(b)
}

// ErrorLines are the two lines Lambda writes before END when the runtime
// exited or failed to start: "RequestId: … Error: <cause>" and the error
// type, e.g. "RequestId: 8f50… Error: Runtime exited with error: exit
// status 3" then "Runtime.ExitError". The cause is the errorMessage of
// payload (the error JSON the caller gets), without a "RequestId: … " or
// "Error: " it already starts with; payload that is not error JSON is the
// cause itself.
func ErrorLines(requestID, errorType string, payload []byte) []string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	msg := string(payload)
	if json.Unmarshal(payload, &e) == nil && e.ErrorMessage != "" {
		msg = e.ErrorMessage
	}
	msg = strings.TrimPrefix(msg, "RequestId: "+requestID+" ")
	msg = strings.TrimPrefix(msg, "Error: ")
	lines := SplitLines([]byte("RequestId: " + requestID + " Error: " + msg))
	if errorType != "" {
		lines = append(lines, errorType)
	}
	return lines
}

// appendMillis appends d in milliseconds with two decimals.
func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// SplitLines splits captured output into lines at "\n" (a "\r" before it
// goes too). A final newline ends the last line rather than starting an
// empty one; empty lines in the middle stay. Invalid UTF-8 is replaced by
// U+FFFD so every line encodes as JSON unchanged.
func SplitLines(raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	s := strings.ToValidUTF8(string(raw), "\uFFFD")
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// maxMessageBytes is CloudWatch's limit on one log event (256 KB); longer
// lines are cut, at a character boundary, and marked.
const maxMessageBytes = 256 << 10

const truncatedMark = " [truncated]"

func truncate(msg string) string {
	if len(msg) <= maxMessageBytes {
		return msg
	}
	cut := maxMessageBytes - len(truncatedMark)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + truncatedMark
}
