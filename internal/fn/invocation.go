package fn

import "time"

// Outcome of an invocation, as recorded for billing and shown in usage.
const (
	OutcomeSuccess = "success"
	OutcomeError   = "error"   // the function returned an error
	OutcomeTimeout = "timeout" // the platform stopped it at its timeout
	OutcomeCrash   = "crash"   // the runtime process exited or failed to init
)

// Usage is the billing record of one invocation.
type Usage struct {
	Time        time.Time `json:"time"`
	Tenant      string    `json:"tenant"`
	Function    string    `json:"function"`
	Version     string    `json:"version"`
	RequestID   string    `json:"request_id"`
	DurationMs  float64   `json:"duration_ms"`
	BilledMs    int64     `json:"billed_ms"`
	MemoryMB    int       `json:"memory_mb"`
	MaxMemoryMB int       `json:"max_memory_mb"`
	GBs         float64   `json:"gb_s"`
	Cold        bool      `json:"cold"`
	InitMs      float64   `json:"init_ms,omitempty"`
	Outcome     string    `json:"outcome"`
}

// BilledMs rounds a duration up to the next whole millisecond (minimum 1).
func BilledMs(d time.Duration) int64 {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	return ms
}

// GBSeconds is billed milliseconds times memory in GB (1 GB = 1024 MB).
func GBSeconds(billedMs int64, memoryMB int) float64 {
	return float64(billedMs) / 1000 * float64(memoryMB) / 1024
}

// LogEntry is one captured log line of a function.
type LogEntry struct {
	Time      time.Time `json:"time"`
	Function  string    `json:"function"`
	RequestID string    `json:"request_id,omitempty"`
	Message   string    `json:"message"`
}

// UsageSummary sums usage records per function.
type UsageSummary struct {
	Function    string  `json:"function"`
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	BilledMs    int64   `json:"billed_ms"`
	GBs         float64 `json:"gb_s"`
	ColdStarts  int64   `json:"cold_starts"`
	DurationMs  float64 `json:"duration_ms"`
}
