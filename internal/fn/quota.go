package fn

// Quotas bound what a tenant may use; zero fields are unlimited. The
// platform's administrator sets them (`updraft tenant set`).
type Quotas struct {
	// MaxConcurrency caps the tenant's concurrent executions.
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
	// MaxInvocationsPerMonth and MaxGBSecondsPerMonth cap the calendar
	// month's (UTC) invocations and compute.
	MaxInvocationsPerMonth int64   `json:"maxInvocationsPerMonth,omitempty"`
	MaxGBSecondsPerMonth   float64 `json:"maxGbSecondsPerMonth,omitempty"`
	// MaxStoredBytes caps the code the tenant stores.
	MaxStoredBytes int64 `json:"maxStoredBytes,omitempty"`
}

// Validate checks the quotas are not negative.
func (q Quotas) Validate() error {
	if q.MaxConcurrency < 0 || q.MaxInvocationsPerMonth < 0 || q.MaxGBSecondsPerMonth < 0 || q.MaxStoredBytes < 0 {
		return InvalidParameter("quotas must not be negative (0 means no limit)")
	}
	return nil
}

// QuotaExceeded is the 429 of a call over one of its tenant's quotas.
func QuotaExceeded(format string, args ...any) *Error {
	return Throttled("TenantQuotaExceeded", format, args...)
}
