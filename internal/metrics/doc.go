// Package metrics owns Updraft's Prometheus counters: cold and warm starts,
// throttles, instance starts and stops, invocations by outcome and their
// duration. The components that see an event count it through the nil-safe
// methods of *Metrics; the gateway serves the registry at GET /metrics.
package metrics
