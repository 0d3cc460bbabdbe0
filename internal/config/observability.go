package config

import "fmt"

// Observability configures metrics and the platform's own logs.
type Observability struct {
	// MetricsPublic serves GET /metrics without a key (by default it
	// needs a key: see docs/OBSERVABILITY.md).
	MetricsPublic bool
	// MetricsMaxSeries caps the tenant/function pairs with series of
	// their own; later functions count as function="other" (0: 1000).
	MetricsMaxSeries int
	// LogFormat is the platform log's format: LogFormatText ("" too) or
	// LogFormatJSON.
	LogFormat string
}

// Platform log formats (Observability.LogFormat).
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

func (o *Observability) validate() error {
	switch o.LogFormat {
	case "":
		o.LogFormat = LogFormatText
	case LogFormatText, LogFormatJSON:
	default:
		return fmt.Errorf("config: log format %q: use %s or %s", o.LogFormat, LogFormatText, LogFormatJSON)
	}
	if o.MetricsMaxSeries < 0 {
		return fmt.Errorf("config: metrics max series %d must not be negative (0: 1000)", o.MetricsMaxSeries)
	}
	return nil
}
