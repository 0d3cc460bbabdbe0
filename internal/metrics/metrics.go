package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry of Updraft's counters. A nil *Metrics counts
// nothing, so components work without one (unit tests).
type Metrics struct {
	reg            *prometheus.Registry
	starts         *children              // kind=cold|warm
	throttles      *prometheus.CounterVec // reason
	instanceStarts prometheus.Counter
	instanceStops  *prometheus.CounterVec // why=idle|broken|retired|closed|evicted
	invocations    *children              // outcome
	duration       prometheus.Histogram
}

// New registers the counters (and the Go runtime's) on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		starts: newChildren(prometheus.CounterOpts{
			Name: "updraft_invocation_starts_total", Help: "Invocations by start kind: cold (on a new instance) or warm.",
		}, "kind"),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_throttles_total", Help: "Calls rejected with 429 TooManyRequestsException, by reason.",
		}, []string{"reason"}),
		instanceStarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "updraft_instance_starts_total", Help: "Runtime instances started.",
		}),
		instanceStops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "updraft_instance_stops_total", Help: "Runtime instances stopped, by why.",
		}, []string{"why"}),
		invocations: newChildren(prometheus.CounterOpts{
			Name: "updraft_invocations_total", Help: "Invocations by outcome.",
		}, "outcome"),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "updraft_invocation_duration_seconds", Help: "Function run time of each invocation.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 12),
		}),
	}
	m.reg.MustRegister(m.starts.vec, m.throttles, m.instanceStarts, m.instanceStops, m.invocations.vec, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// children is a CounterVec of one label whose children are kept once
// used: WithLabelValues hashes the label and takes the vector's lock on
// every call, and these two count every invocation. A child appears on
// /metrics once it was first counted, as before.
type children struct {
	vec *prometheus.CounterVec
	m   sync.Map // label value → prometheus.Counter
}

func newChildren(opts prometheus.CounterOpts, label string) *children {
	return &children{vec: prometheus.NewCounterVec(opts, []string{label})}
}

func (c *children) get(value string) prometheus.Counter {
	if ctr, ok := c.m.Load(value); ok {
		return ctr.(prometheus.Counter)
	}
	ctr, _ := c.m.LoadOrStore(value, c.vec.WithLabelValues(value))
	return ctr.(prometheus.Counter)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Start counts one invocation's start on an instance.
func (m *Metrics) Start(cold bool) {
	if m == nil {
		return
	}
	kind := "warm"
	if cold {
		kind = "cold"
	}
	m.starts.get(kind).Inc()
}

// Throttle counts one 429.
func (m *Metrics) Throttle(reason string) {
	if m != nil {
		m.throttles.WithLabelValues(reason).Inc()
	}
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

// Invocation counts one finished invocation and its run time.
func (m *Metrics) Invocation(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.invocations.get(outcome).Inc()
	m.duration.Observe(d.Seconds())
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
