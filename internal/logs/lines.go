package logs

import (
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
}

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
	return string(b)
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
