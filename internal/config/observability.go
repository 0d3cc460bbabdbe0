package config

import (
	"fmt"
	"net/url"
)

// Observability configures metrics, the platform's own logs and tracing.
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
	// OTLPEndpoint is the OTLP/HTTP collector spans are exported to
	// (http://host:4318, the /v1/traces path added when missing); "": no
	// tracing, and no tracing cost.
	OTLPEndpoint string
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
	if o.OTLPEndpoint != "" {
		u, err := url.Parse(o.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: OTLP endpoint %q is not an http(s) URL (e.g. http://127.0.0.1:4318)", o.OTLPEndpoint)
		}
	}
	return nil
}
