package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultMaxSeries is how many tenant/function pairs get their own series
// before further functions are counted as function="other".
const DefaultMaxSeries = 1000

// Other is the function label of the pairs beyond the cap.
const Other = "other"

// Config tunes the metrics. Zero values take the defaults.
type Config struct {
	// MaxSeries caps the tenant/function pairs with their own series.
	MaxSeries int
}

// Metrics is one registry of Updraft's metrics. A nil *Metrics counts
// nothing, so components work without one (unit tests).
type Metrics struct {
	reg *prometheus.Registry
	max int

	// Labelled by tenant and function (series.go).
	invocations  *prometheus.CounterVec   // + outcome
	starts       *prometheus.CounterVec   // + kind=cold|warm
	errors       *prometheus.CounterVec   // + type
	throttles    *prometheus.CounterVec   // + reason
	duration     *prometheus.HistogramVec // run time
	initDuration *prometheus.HistogramVec // cold starts' init time
	concurrent   *prometheus.GaugeVec     // calls running now

	// Platform-wide.
	instanceStarts prometheus.Counter
	instanceStops  *prometheus.CounterVec // why=idle|broken|retired|closed|evicted|capacity

	mu     sync.RWMutex
	series map[pair]*Series
	named  int // pairs with their own series (not "other")
}

// New registers the metrics (and the Go runtime's and the process's) on a
// fresh registry.
func New(cfg Config) *Metrics {
	if cfg.MaxSeries <= 0 {
		cfg.MaxSeries = DefaultMaxSeries
	}
	fnLabels := func(extra ...string) []string { return append([]string{"tenant", "function"}, extra...) }
	durBuckets := prometheus.ExponentialBuckets(0.0001, 4, 12) // 100 µs … 7 min
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		max: cfg.MaxSeries,
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_invocations_total", Help: "Finished invocations by outcome: success, error (the function returned an error), timeout, crash.",
		}, fnLabels("outcome")),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_invocation_starts_total", Help: "Invocations by start kind: cold (on a new instance) or warm. kind=\"cold\" counts cold starts.",
		}, fnLabels("kind")),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_invocation_errors_total", Help: "Failed invocations by error type: Function (the function's own error), Sandbox.Timedout, or the runtime's Runtime.* type.",
		}, fnLabels("type")),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_throttles_total", Help: "Calls rejected with 429 TooManyRequestsException, by reason.",
		}, fnLabels("reason")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "updraft_invocation_duration_seconds", Help: "Function run time of each invocation.", Buckets: durBuckets,
		}, fnLabels()),
		initDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "updraft_init_duration_seconds", Help: "Init time of each cold start.", Buckets: durBuckets,
		}, fnLabels()),
		concurrent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "updraft_concurrent_executions", Help: "Invocations running now.",
		}, fnLabels()),
		instanceStarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "updraft_instance_starts_total", Help: "Runtime instances started.",
		}),
		instanceStops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_instance_stops_total", Help: "Runtime instances stopped, by why.",
		}, []string{"why"}),
		series: map[pair]*Series{},
	}
	m.reg.MustRegister(m.invocations, m.starts, m.errors, m.throttles, m.duration, m.initDuration, m.concurrent,
		m.instanceStarts, m.instanceStops,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves every series in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// TenantHandler serves only the series labelled with tenant: its own
// functions' metrics, without the platform-wide ones.
func (m *Metrics) TenantHandler(tenant string) http.Handler {
	return promhttp.HandlerFor(tenantGatherer{m.reg, tenant}, promhttp.HandlerOpts{})
}

// InstanceStarted counts one started instance.
func (m *Metrics) InstanceStarted() {
	if m != nil {
		m.instanceStarts.Inc()
	}
}

// InstancesStopped counts n stopped instances.
func (m *Metrics) InstancesStopped(why string, n int) {
	if m != nil && n > 0 {
		m.instanceStops.WithLabelValues(why).Add(float64(n))
	}
}

// Throttle counts one 429 of tenant's function.
func (m *Metrics) Throttle(tenant, function, reason string) {
	if m != nil {
		s := m.Series(tenant, function)
		m.throttles.WithLabelValues(s.tenant, s.function, reason).Inc()
	}
}

// StemCell is one runtime's stem cells: ready now, and taken by cold
// starts so far.
type StemCell struct {
	Runtime      string
	Ready, Taken int
}

// StemCells exports the stem cells that f reports at each scrape, as
// updraft_stem_cells_ready and updraft_stem_cells_taken_total by runtime.
func (m *Metrics) StemCells(f func() []StemCell) {
	if m != nil {
		m.reg.MustRegister(stemCollector(f))
	}
}

var (
	stemReadyDesc = prometheus.NewDesc("updraft_stem_cells_ready",
		"Interpreters started ahead and waiting for a function, by runtime.", []string{"runtime"}, nil)
	stemTakenDesc = prometheus.NewDesc("updraft_stem_cells_taken_total",
		"Cold starts that took a stem cell instead of starting an interpreter, by runtime.", []string{"runtime"}, nil)
)

type stemCollector func() []StemCell

func (c stemCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- stemReadyDesc
	ch <- stemTakenDesc
}

func (c stemCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c() {
		ch <- prometheus.MustNewConstMetric(stemReadyDesc, prometheus.GaugeValue, float64(s.Ready), s.Runtime)
		ch <- prometheus.MustNewConstMetric(stemTakenDesc, prometheus.CounterValue, float64(s.Taken), s.Runtime)
	}
}
