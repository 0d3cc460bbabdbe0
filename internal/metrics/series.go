package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type pair struct{ tenant, function string }

// Series is one tenant/function pair's cached children: counting an
// invocation touches them without hashing labels or taking the vectors'
// locks. A nil *Series counts nothing.
type Series struct {
	m                *Metrics
	tenant, function string // the labels: function is Other beyond the cap

	cold, warm             prometheus.Counter
	success, failed        prometheus.Counter // outcomes success and error
	timeout, crash         prometheus.Counter
	duration, initDuration prometheus.Observer
	concurrent             prometheus.Gauge
}

// Series returns the children of tenant's function, creating them on first
// use. Beyond the cap of pairs, a new function shares its tenant's Other
// series.
func (m *Metrics) Series(tenant, function string) *Series {
	if m == nil {
		return nil
	}
	k := pair{tenant, function}
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.series[k]; s != nil {
		return s
	}
	label := function
	if m.named >= m.max {
		label = Other
		if o := m.series[pair{tenant, Other}]; o != nil {
			// Remembered under the function's own name too, so its next
			// call is one read-locked lookup.
			m.series[k] = o
			return o
		}
	} else {
		m.named++
	}
	s = m.newSeries(tenant, label)
	m.series[k] = s
	if label == Other {
		m.series[pair{tenant, Other}] = s
	}
	return s
}

// Label returns the function label tenant's function is counted under,
// for metrics read at scrape time.
func (m *Metrics) Label(tenant, function string) string {
	return m.Series(tenant, function).function
}

func (m *Metrics) newSeries(tenant, function string) *Series {
	return &Series{
		m: m, tenant: tenant, function: function,
		cold:         m.starts.WithLabelValues(tenant, function, "cold"),
		warm:         m.starts.WithLabelValues(tenant, function, "warm"),
		success:      m.invocations.WithLabelValues(tenant, function, "success"),
		failed:       m.invocations.WithLabelValues(tenant, function, "error"),
		timeout:      m.invocations.WithLabelValues(tenant, function, "timeout"),
		crash:        m.invocations.WithLabelValues(tenant, function, "crash"),
		duration:     m.duration.WithLabelValues(tenant, function),
		initDuration: m.initDuration.WithLabelValues(tenant, function),
		concurrent:   m.concurrent.WithLabelValues(tenant, function),
	}
}

// Begin counts one invocation starting to run; End must follow.
func (s *Series) Begin() {
	if s != nil {
		s.concurrent.Inc()
	}
}

// End counts one invocation that stopped running.
func (s *Series) End() {
	if s != nil {
		s.concurrent.Dec()
	}
}

// Call is one finished invocation.
type Call struct {
	Outcome   string // fn.Outcome*
	ErrorType string // the runtime's errorType of a failed call
	Duration  time.Duration
	Cold      bool
	Init      time.Duration // init time of a cold start
}

// Invocation counts one finished invocation: its start kind, outcome, run
// time, init time and error type.
func (s *Series) Invocation(c Call) {
	if s == nil {
		return
	}
	if c.Cold {
		s.cold.Inc()
		if c.Init > 0 {
			s.initDuration.Observe(c.Init.Seconds())
		}
	} else {
		s.warm.Inc()
	}
	s.duration.Observe(c.Duration.Seconds())
	switch c.Outcome {
	case "success":
		s.success.Inc()
		return
	case "error":
		s.failed.Inc()
	case "timeout":
		s.timeout.Inc()
	case "crash":
		s.crash.Inc()
	default:
		s.m.invocations.WithLabelValues(s.tenant, s.function, c.Outcome).Inc()
	}
	s.m.errors.WithLabelValues(s.tenant, s.function, ErrorKind(c.Outcome, c.ErrorType)).Inc()
}

// ErrorKind is the bounded error type label of a failed call: the
// platform's own Runtime.* and Sandbox.* types as they are, a timeout as
// Sandbox.Timedout, and any type the function chose as Function.
func ErrorKind(outcome, errorType string) string {
	switch {
	case outcome == "timeout":
		return "Sandbox.Timedout"
	case len(errorType) <= 48 && (strings.HasPrefix(errorType, "Runtime.") || strings.HasPrefix(errorType, "Sandbox.")):
		return errorType
	case outcome == "crash":
		return "Runtime.ExitError"
	}
	return "Function"
}
