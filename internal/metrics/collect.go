package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the reads of one scrape (queue stats are store
// reads).
const scrapeTimeout = 5 * time.Second

// Instances is the instance count of one function version in each state.
type Instances struct {
	Tenant, Function                  string
	Idle, Busy, Starting, Provisioned int
}

// Queue is the depth of one function's queue (its async invocations, or
// the source queue of an event-source mapping).
type Queue struct {
	Tenant, Function string
	Queue            string // the source queue's name (mappings only)
	Visible          int
	InFlight         int
	Delayed          int
	Oldest           time.Time // zero when empty
}

// Sources are what the platform reports at each scrape; nil fields are
// not exported.
type Sources struct {
	Instances func() []Instances
	// Async lists every function's async invocation queue with messages.
	Async func(ctx context.Context) ([]Queue, error)
	// Mappings lists every event-source mapping's source queue.
	Mappings func(ctx context.Context) ([]Queue, error)
	// Store reports whether the store takes writes.
	Store func() error
}

var (
	instancesDesc = prometheus.NewDesc("updraft_instances",
		"Runtime instances by state: idle, busy, starting; provisioned counts the pinned ones among them.",
		[]string{"tenant", "function", "state"}, nil)
	asyncDepthDesc = prometheus.NewDesc("updraft_async_queue_messages",
		"Asynchronous invocations stored and not yet done, by state: visible (waiting), in_flight (running), delayed (waiting for a retry).",
		[]string{"tenant", "function", "state"}, nil)
	asyncAgeDesc = prometheus.NewDesc("updraft_async_queue_oldest_age_seconds",
		"Age of the oldest asynchronous invocation waiting or running (0 when none).",
		[]string{"tenant", "function"}, nil)
	lagDesc = prometheus.NewDesc("updraft_event_source_lag_seconds",
		"Age of the oldest message in an event-source mapping's source queue (0 when empty).",
		[]string{"tenant", "function", "queue"}, nil)
	backlogDesc = prometheus.NewDesc("updraft_event_source_backlog_messages",
		"Messages in an event-source mapping's source queue, visible or in flight.",
		[]string{"tenant", "function", "queue"}, nil)
	storeDesc = prometheus.NewDesc("updraft_store_healthy",
		"1 while the store takes writes, 0 while it does not (e.g. its disk is full).", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("updraft_scrape_errors_total",
		"Reads that failed during this scrape, by source.", []string{"source"}, nil)
)

// Observe exports src at each scrape.
func (m *Metrics) Observe(src Sources) {
	if m != nil {
		m.reg.MustRegister(&sourceCollector{m: m, src: src})
	}
}

type sourceCollector struct {
	m   *Metrics
	src Sources
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{instancesDesc, asyncDepthDesc, asyncAgeDesc, lagDesc, backlogDesc, storeDesc, scrapeErrDesc} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := time.Now()
	if c.src.Instances != nil {
		c.instances(ch)
	}
	if c.src.Async != nil {
		qs, err := c.src.Async(ctx)
		c.scrapeErr(ch, "async", err)
		c.async(ch, qs, now)
	}
	if c.src.Mappings != nil {
		qs, err := c.src.Mappings(ctx)
		c.scrapeErr(ch, "mappings", err)
		c.mappings(ch, qs, now)
	}
	if c.src.Store != nil {
		v := 1.0
		if c.src.Store() != nil {
			v = 0
		}
		ch <- prometheus.MustNewConstMetric(storeDesc, prometheus.GaugeValue, v)
	}
}

func (c *sourceCollector) scrapeErr(ch chan<- prometheus.Metric, source string, err error) {
	v := 0.0
	if err != nil {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, v, source)
}

// instances sums the versions of each function (and the functions folded
// into Other) before exporting: a label set may appear once.
func (c *sourceCollector) instances(ch chan<- prometheus.Metric) {
	type counts struct{ idle, busy, starting, prov int }
	sum := map[pair]*counts{}
	var order []pair
	for _, in := range c.src.Instances() {
		k := pair{in.Tenant, c.m.Label(in.Tenant, in.Function)}
		s := sum[k]
		if s == nil {
			s = &counts{}
			sum[k] = s
			order = append(order, k)
		}
		s.idle += in.Idle
		s.busy += in.Busy
		s.starting += in.Starting
		s.prov += in.Provisioned
	}
	for _, k := range order {
		s := sum[k]
		for _, v := range []struct {
			state string
			n     int
		}{{"idle", s.idle}, {"busy", s.busy}, {"starting", s.starting}, {"provisioned", s.prov}} {
			ch <- prometheus.MustNewConstMetric(instancesDesc, prometheus.GaugeValue, float64(v.n), k.tenant, k.function, v.state)
		}
	}
}

func (c *sourceCollector) async(ch chan<- prometheus.Metric, qs []Queue, now time.Time) {
	type depth struct {
		visible, inFlight, delayed int
		oldest                     time.Time
	}
	sum := map[pair]*depth{}
	var order []pair
	for _, q := range qs {
		k := pair{q.Tenant, c.m.Label(q.Tenant, q.Function)}
		d := sum[k]
		if d == nil {
			d = &depth{}
			sum[k] = d
			order = append(order, k)
		}
		d.visible += q.Visible
		d.inFlight += q.InFlight
		d.delayed += q.Delayed
		if !q.Oldest.IsZero() && (d.oldest.IsZero() || q.Oldest.Before(d.oldest)) {
			d.oldest = q.Oldest
		}
	}
	for _, k := range order {
		d := sum[k]
		ch <- prometheus.MustNewConstMetric(asyncDepthDesc, prometheus.GaugeValue, float64(d.visible), k.tenant, k.function, "visible")
		ch <- prometheus.MustNewConstMetric(asyncDepthDesc, prometheus.GaugeValue, float64(d.inFlight), k.tenant, k.function, "in_flight")
		ch <- prometheus.MustNewConstMetric(asyncDepthDesc, prometheus.GaugeValue, float64(d.delayed), k.tenant, k.function, "delayed")
		ch <- prometheus.MustNewConstMetric(asyncAgeDesc, prometheus.GaugeValue, age(d.oldest, now), k.tenant, k.function)
	}
}

func (c *sourceCollector) mappings(ch chan<- prometheus.Metric, qs []Queue, now time.Time) {
	seen := map[[3]string]bool{}
	for _, q := range qs {
		k := [3]string{q.Tenant, c.m.Label(q.Tenant, q.Function), q.Queue}
		if seen[k] {
			continue // two mappings of one queue to one function: one lag
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, age(q.Oldest, now), k[0], k[1], k[2])
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(q.Visible+q.InFlight), k[0], k[1], k[2])
	}
}

func age(oldest, now time.Time) float64 {
	if oldest.IsZero() || oldest.After(now) {
		return 0
	}
	return now.Sub(oldest).Seconds()
}
