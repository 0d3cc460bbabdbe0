// Package metrics owns Updraft's Prometheus metrics: invocations by
// outcome, errors by type, throttles by reason, run and init durations,
// cold and warm starts, concurrent executions — each labelled by tenant
// and function — and, read at each scrape, instances by state, async queue
// depth and age, event-source lag and store health.
//
// Labels are bounded: the first Config.MaxSeries tenant/function pairs get
// their own series; later functions are counted under function="other" of
// their tenant. The per-invocation path looks its pair's children up once
// (Series) and touches only cached counters after that.
//
// The components that see an event count it through the nil-safe methods
// of *Metrics; the gateway serves Handler (all series) or TenantHandler
// (one tenant's) at GET /metrics.
package metrics
