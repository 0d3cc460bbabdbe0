package logs

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Lambda's JSON log format (LoggingConfig.LogFormat JSON): the platform's
// START, END and REPORT lines become platform.start, platform.runtimeDone
// and platform.report records, and each line the function writes becomes
// an application record — unless it is a JSON object already, which is
// kept as written (a runtime's own JSON logger).

// jsonTime is Lambda's record time: RFC 3339 in UTC with milliseconds.
const jsonTime = "2006-01-02T15:04:05.000Z"

type platformRecord struct {
	Time   string `json:"time"`
	Type   string `json:"type"`
	Record any    `json:"record"`
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: strings and numbers
		return "{}"
	}
	return string(b)
}

// StartJSON is the platform.start record of a call.
func StartJSON(at time.Time, requestID, version string) string {
	return marshal(platformRecord{Time: at.UTC().Format(jsonTime), Type: "platform.start",
		Record: struct {
			RequestID string `json:"requestId"`
			Version   string `json:"version"`
		}{requestID, version}})
}

// EndJSON is the platform.runtimeDone record that stands for the END line.
func EndJSON(at time.Time, requestID, status string, d time.Duration) string {
	if status == "" {
		status = "success"
	}
	return marshal(platformRecord{Time: at.UTC().Format(jsonTime), Type: "platform.runtimeDone",
		Record: struct {
			RequestID string `json:"requestId"`
			Status    string `json:"status"`
			Metrics   struct {
				DurationMs float64 `json:"durationMs"`
			} `json:"metrics"`
		}{RequestID: requestID, Status: status, Metrics: struct {
			DurationMs float64 `json:"durationMs"`
		}{millis(d)}}})
}

type reportMetrics struct {
	DurationMs       float64  `json:"durationMs"`
	BilledDurationMs int64    `json:"billedDurationMs"`
	MemorySizeMB     int      `json:"memorySizeMB"`
	MaxMemoryUsedMB  int      `json:"maxMemoryUsedMB"`
	InitDurationMs   *float64 `json:"initDurationMs,omitempty"`
}

// ReportJSON is the platform.report record of a call.
func ReportJSON(at time.Time, r Report) string {
	m := reportMetrics{DurationMs: millis(r.Duration), BilledDurationMs: r.BilledMs, MemorySizeMB: r.MemoryMB, MaxMemoryUsedMB: r.MaxMemoryMB}
	if r.InitDuration > 0 {
		init := millis(r.InitDuration)
		m.InitDurationMs = &init
	}
	status := "success"
	switch r.Status {
	case StatusTimeout:
		status = "timeout"
	case StatusError:
		status = "error"
	}
	return marshal(platformRecord{Time: at.UTC().Format(jsonTime), Type: "platform.report",
		Record: struct {
			RequestID string        `json:"requestId"`
			Metrics   reportMetrics `json:"metrics"`
			Status    string        `json:"status"`
			ErrorType string        `json:"errorType,omitempty"`
		}{r.RequestID, m, status, r.ErrorType}})
}

// AppJSON is a line the function wrote as an application log record; a
// line that is a JSON object already is returned as it is.
func AppJSON(at time.Time, requestID, level, line string) string {
	if t := strings.TrimSpace(line); strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
		return line
	}
	return marshal(struct {
		Timestamp string `json:"timestamp"`
		Level     string `json:"level"`
		Message   string `json:"message"`
		RequestID string `json:"requestId,omitempty"`
	}{at.UTC().Format(jsonTime), level, line, requestID})
}

// millis is d in milliseconds with two decimals, as Lambda reports them.
func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}
