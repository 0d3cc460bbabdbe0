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
	// MinSamples idle times before the histogram is trusted; default 10.
	MinSamples int
	// MinCV is the coefficient of variation of the bin counts below which
	// the histogram is not representative (too flat); default 2.
	MinCV float64
	// MaxOOB is the fraction of idle times beyond the range above which
	// the histogram is not representative; default 0.5.
	MaxOOB float64
	// Margin widens the windows: the pre-warm window ends Margin early and
	// the keep-alive window ends Margin late; default 0.1.
	Margin float64
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
	counts   []int
	oob      int // idle times beyond the range
	n        int // all idle times
	inFlight int
	lastEnd  time.Time
	win      windows // cached, recomputed when a sample is added
	winOK    bool
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
		cfg.MinSamples = 10
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
	return &KeepAlive{cfg: cfg, fns: map[string]*idleHist{}}
}

func (k *KeepAlive) hist(owner string) *idleHist {
	h := k.fns[owner]
	if h == nil {
		h = &idleHist{counts: make([]int, k.cfg.Bins)}
		k.fns[owner] = h
	}
	return h
}

// Arrival records the idle time that ends with this call, if the function
// had no call in flight.
func (k *KeepAlive) Arrival(owner string, now time.Time) {
	if !k.cfg.Adaptive {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.hist(owner)
	if h.inFlight == 0 && !h.lastEnd.IsZero() {
		it := max(now.Sub(h.lastEnd), 0)
		if b := int(it / k.cfg.BinWidth); b < len(h.counts) {
			h.counts[b]++
		} else {
			h.oob++
		}
		h.n++
		h.winOK = false
	}
	h.inFlight++
}

// Done ends a call; the function's idle time starts when none is left.
func (k *KeepAlive) Done(owner string, now time.Time) {
	if !k.cfg.Adaptive {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.hist(owner)
	h.inFlight = max(h.inFlight-1, 0)
	if h.inFlight == 0 {
		h.lastEnd = now
	}
}

// Windows returns owner's pre-warm and keep-alive windows.
func (k *KeepAlive) Windows(owner string) (prewarm, keepAlive time.Duration) {
	if !k.cfg.Adaptive {
		return 0, k.cfg.Fixed
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.fns[owner]
	if h == nil {
		return 0, k.cfg.Fixed
	}
	if !h.winOK {
		h.win = k.compute(h)
		h.winOK = true
	}
	return h.win.prewarm, h.win.keepAlive
}

// Forget drops owner's histogram (the function was deleted).
func (k *KeepAlive) Forget(owner string) {
	k.mu.Lock()
	delete(k.fns, owner)
	k.mu.Unlock()
}

// compute is the hybrid histogram policy: windows from the histogram's
// head and tail percentiles when it is representative, else the fixed
// window.
func (k *KeepAlive) compute(h *idleHist) windows {
	fixed := windows{keepAlive: k.cfg.Fixed}
	in := h.n - h.oob
	if h.n < k.cfg.MinSamples || float64(h.oob) > k.cfg.MaxOOB*float64(h.n) || in == 0 {
		return fixed
	}
	if cv(h.counts) < k.cfg.MinCV {
		return fixed
	}
	head := percentileBin(h.counts, in, 0.05)
	tail := percentileBin(h.counts, in, 0.99)
	bw := float64(k.cfg.BinWidth)
	pre := time.Duration(float64(head) * bw * (1 - k.cfg.Margin))
	end := time.Duration(float64(tail+1) * bw * (1 + k.cfg.Margin))
	return windows{prewarm: pre, keepAlive: max(end-pre, k.cfg.BinWidth)}
}

// percentileBin is the bin holding the p-th fraction of n samples.
func percentileBin(counts []int, n int, p float64) int {
	want := int(math.Ceil(p * float64(n)))
	want = max(want, 1)
	sum := 0
	for i, c := range counts {
		sum += c
		if sum >= want {
			return i
		}
	}
	return len(counts) - 1
}

// cv is the coefficient of variation of the bin counts.
func cv(counts []int) float64 {
	var sum float64
	for _, c := range counts {
		sum += float64(c)
	}
	mean := sum / float64(len(counts))
	if mean == 0 {
		return 0
	}
	var ss float64
	for _, c := range counts {
		d := float64(c) - mean
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(counts))) / mean
}
