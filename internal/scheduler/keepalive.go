package scheduler

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/pool"
)

// KeepAliveConfig tunes the keep-alive policy; see doc.go.
type KeepAliveConfig struct {
	Adaptive bool          // false: fixed window
	Fixed    time.Duration // the fixed window, and the adaptive policy's fallback
	BinWidth time.Duration // histogram bin; default 1 minute
	Bins     int           // histogram range = Bins × BinWidth; default 240 (4 h)
	// MinSamples idle times before the histogram is trusted; default 5.
	MinSamples int
	// MinCV is the coefficient of variation of the bin counts below which
	// the histogram is not representative (too flat); default 2.
	MinCV float64
	// MaxOOB is the fraction of idle times beyond the range above which
	// the histogram is not representative and the time-series forecast
	// is tried; default 0.5.
	MaxOOB float64
	// Margin widens the windows: the pre-warm window ends Margin early and
	// the keep-alive window ends Margin late; default 0.1.
	Margin float64
	// ColdStartGBs prices a cold start in idle memory: a stretch of the
	// idle-time histogram is kept loaded only where it catches at least
	// one call per ColdStartGBs of idle instance memory (GB × s). Default
	// 400 (about 27 minutes of a 256 MB instance); negative: the paper's
	// windows, from the 5th to the 99th percentile.
	ColdStartGBs float64
	// ForecastMargin is the time-series forecast's margin on each side
	// of the predicted idle time, as a fraction of it; default 0.15.
	ForecastMargin float64
}

// ParseKeepAlivePolicy parses "fixed:10m" or "adaptive" (fallback: fixed).
func ParseKeepAlivePolicy(s string, fallback time.Duration) (KeepAliveConfig, error) {
	switch {
	case s == "adaptive":
		return KeepAliveConfig{Adaptive: true, Fixed: fallback}, nil
	case s == "fixed":
		return KeepAliveConfig{Fixed: fallback}, nil
	case strings.HasPrefix(s, "fixed:"):
		d, err := time.ParseDuration(strings.TrimPrefix(s, "fixed:"))
		if err != nil || d <= 0 {
			return KeepAliveConfig{}, fmt.Errorf("keep-alive policy %q: the window must be a positive duration, e.g. fixed:10m", s)
		}
		return KeepAliveConfig{Fixed: d}, nil
	}
	return KeepAliveConfig{}, fmt.Errorf("keep-alive policy %q: use fixed:DURATION (e.g. fixed:10m) or adaptive", s)
}

// KeepAlive is the per-function keep-alive policy (pool.Policy).
type KeepAlive struct {
	cfg KeepAliveConfig

	mu  sync.Mutex
	fns map[string]*idleHist
}

var _ pool.Policy = (*KeepAlive)(nil)

// idleHist is one function's idle-time histogram.
type idleHist struct {
	counts   []float64
	oob      int // idle times beyond the range
	n        int // all idle times
	inFlight int
	// ends[k] is when the function last went from k+1 calls in flight to
	// k: the (k+1)-th instance's last call ended then (the pool reuses
	// the most recently used instance first).
	ends []time.Time
	// forecast is the exponentially smoothed out-of-bounds idle time;
	// recent are the last out-of-bounds idle times.
	forecast float64
	recent   [3]float64
	win      windows // cached, recomputed when a sample is added
	winOK    bool
	winMB    int // the memory win was computed for
}

type windows struct{ prewarm, keepAlive time.Duration }

// NewKeepAlive builds the policy.
func NewKeepAlive(cfg KeepAliveConfig) *KeepAlive {
	if cfg.Fixed <= 0 {
		cfg.Fixed = 10 * time.Minute
	}
	if cfg.BinWidth <= 0 {
		cfg.BinWidth = time.Minute
	}
	if cfg.Bins <= 0 {
		cfg.Bins = 240
	}
	if cfg.MinSamples <= 0 {
		cfg.MinSamples = 5
	}
	if cfg.MinCV <= 0 {
		cfg.MinCV = 2
	}
	if cfg.MaxOOB <= 0 {
		cfg.MaxOOB = 0.5
	}
	if cfg.Margin <= 0 {
		cfg.Margin = 0.1
	}
	if cfg.ColdStartGBs == 0 {
		cfg.ColdStartGBs = 400
	}
	if cfg.ForecastMargin <= 0 {
		cfg.ForecastMargin = 0.15
	}
	return &KeepAlive{cfg: cfg, fns: map[string]*idleHist{}}
}

func (k *KeepAlive) hist(owner string) *idleHist {
	h := k.fns[owner]
	if h == nil {
		h = &idleHist{counts: make([]float64, k.cfg.Bins)}
		k.fns[owner] = h
	}
	return h
}

// Arrival records the idle time that ends with this call: that of the
// instance it takes, the (n+1)-th with n calls in flight, idle since the
// function last went down from n+1 calls in flight.
func (k *KeepAlive) Arrival(owner string, now time.Time) {
	if !k.cfg.Adaptive {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.hist(owner)
	if h.inFlight < len(h.ends) {
		k.add(h, max(now.Sub(h.ends[h.inFlight]), 0))
	}
	h.inFlight++
}

// add puts one idle time into h.
func (k *KeepAlive) add(h *idleHist, it time.Duration) {
	h.n++
	h.winOK = false
	if b := int(it / k.cfg.BinWidth); b < len(h.counts) {
		h.counts[b]++
		return
	}
	// Out of bounds: simple exponential smoothing, the forecast of an
	// ARIMA(0,1,1) model.
	const alpha = 0.5
	x := float64(it)
	if h.oob == 0 {
		h.forecast = x
	} else {
		h.forecast = alpha*x + (1-alpha)*h.forecast
	}
	h.recent[h.oob%len(h.recent)] = x
	h.oob++
}

// Done ends a call; the instance it held is idle from now.
func (k *KeepAlive) Done(owner string, now time.Time) {
	if !k.cfg.Adaptive {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.hist(owner)
	if h.inFlight == 0 {
		return
	}
	h.inFlight--
	if h.inFlight == len(h.ends) {
		h.ends = append(h.ends, now)
	} else {
		h.ends[h.inFlight] = now
	}
}

// Windows returns owner's pre-warm and keep-alive windows for an instance
// of memMB (0: unknown, taken as 256 MB).
func (k *KeepAlive) Windows(owner string, memMB int) (prewarm, keepAlive time.Duration) {
	if !k.cfg.Adaptive {
		return 0, k.cfg.Fixed
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.fns[owner]
	if h == nil {
		return 0, k.cfg.Fixed
	}
	if memMB <= 0 {
		memMB = 256
	}
	if !h.winOK || h.winMB != memMB {
		h.win = k.compute(h, memMB)
		h.winOK, h.winMB = true, memMB
	}
	return h.win.prewarm, h.win.keepAlive
}

// Forget drops owner's histogram (the function was deleted).
func (k *KeepAlive) Forget(owner string) {
	k.mu.Lock()
	delete(k.fns, owner)
	k.mu.Unlock()
}

// compute is the hybrid histogram policy: windows from the histogram
// when it is representative, from the time-series forecast when most idle
// times are out of its range, else the fixed window.
func (k *KeepAlive) compute(h *idleHist, memMB int) windows {
	fixed := windows{keepAlive: k.cfg.Fixed}
	in := h.n - h.oob
	if h.oob >= 2 && float64(h.oob) > k.cfg.MaxOOB*float64(h.n) {
		return k.forecastWindows(h, fixed)
	}
	if h.n < k.cfg.MinSamples || float64(h.oob) > k.cfg.MaxOOB*float64(h.n) || in == 0 {
		return fixed
	}
	var lo, hi int // the bins [lo, hi) to keep an instance loaded for
	if k.cfg.ColdStartGBs < 0 {
		if cv(h.counts) < k.cfg.MinCV {
			return fixed
		}
		lo = percentileBin(h.counts, float64(in), 0.05)
		hi = percentileBin(h.counts, float64(in), 0.99) + 1
	} else {
		lo, hi = k.paying(h, memMB)
	}
	if lo == hi {
		return windows{}
	}
	bw := float64(k.cfg.BinWidth)
	pre := time.Duration(float64(lo) * bw * (1 - k.cfg.Margin))
	end := time.Duration(float64(hi) * bw * (1 + k.cfg.Margin))
	return windows{prewarm: pre, keepAlive: end - pre}
}

// paying is the stretch of bins [lo, hi) where keeping an instance loaded
// pays the most: where the calls it would catch, minus the idle memory it
// would spend over ColdStartGBs, sum highest (a maximum subarray). Bin i
// catches counts[i] calls and costs one bin of idle time for every idle
// time that reaches it (out-of-bounds ones included). A stretch that
// caught fewer than MinSamples calls is noise, not a pattern. lo == hi: no
// stretch pays, the instance is stopped after its call.
func (k *KeepAlive) paying(h *idleHist, memMB int) (lo, hi int) {
	perBin := k.cfg.BinWidth.Seconds() * float64(memMB) / 1024 / k.cfg.ColdStartGBs
	reach := float64(h.oob)
	best, end, sum := 0.0, len(h.counts), 0.0
	for i := len(h.counts) - 1; i >= 0; i-- { // right to left: reach is a suffix sum
		reach += h.counts[i]
		if sum <= 0 {
			end, sum = i+1, 0
		}
		sum += h.counts[i] - perBin*reach
		if sum > best {
			lo, hi, best = i, end, sum
		}
	}
	caught := 0.0
	for _, c := range h.counts[lo:hi] {
		caught += c
	}
	if caught < float64(k.cfg.MinSamples) {
		return 0, 0
	}
	return lo, hi
}

// forecastWindows pre-warms shortly before the forecast idle time and
// keeps the instance until shortly after it, as long as the last
// out-of-bounds idle times agree with the forecast to within the margin;
// else the fixed window.
func (k *KeepAlive) forecastWindows(h *idleHist, fixed windows) windows {
	m := k.cfg.ForecastMargin
	for i := range min(h.oob, len(h.recent)) {
		if math.Abs(h.recent[i]-h.forecast) > m*h.forecast {
			return fixed
		}
	}
	return windows{
		prewarm:   time.Duration(h.forecast * (1 - m)),
		keepAlive: time.Duration(h.forecast * 2 * m),
	}
}

// percentileBin is the bin holding the p-th fraction of the weight n.
func percentileBin(counts []float64, n float64, p float64) int {
	want := p * n
	sum := 0.0
	for i, c := range counts {
		sum += c
		if sum >= want {
			return i
		}
	}
	return len(counts) - 1
}

// cv is the coefficient of variation of the bin counts.
func cv(counts []float64) float64 {
	var sum float64
	for _, c := range counts {
		sum += c
	}
	mean := sum / float64(len(counts))
	if mean == 0 {
		return 0
	}
	var ss float64
	for _, c := range counts {
		d := c - mean
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(counts))) / mean
}
