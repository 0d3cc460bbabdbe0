package scheduler

import (
	"math/rand/v2"
	"testing"
	"time"
)

// calls drives n calls of owner, each lasting 100ms, gap apart, on the
// virtual clock c.
func calls(k *KeepAlive, c *clock, owner string, n int, gap func() time.Duration) {
	for range n {
		k.Arrival(owner, c.now())
		c.advance(100 * time.Millisecond)
		k.Done(owner, c.now())
		c.advance(gap())
	}
}

func every(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestKeepAliveFixed(t *testing.T) {
	k := NewKeepAlive(KeepAliveConfig{Fixed: 10 * time.Minute})
	c := newClock()
	calls(k, c, "f", 50, every(30*time.Second))
	if pre, ka := k.Windows("f", 0); pre != 0 || ka != 10*time.Minute {
		t.Fatalf("fixed: %v %v", pre, ka)
	}
}

func TestKeepAliveAdaptiveFrequent(t *testing.T) {
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 10 * time.Minute})
	c := newClock()
	calls(k, c, "f", 5, every(30*time.Second))
	if pre, ka := k.Windows("f", 0); pre != 0 || ka != 10*time.Minute {
		t.Fatalf("too few samples should fall back to fixed: %v %v", pre, ka)
	}
	calls(k, c, "f", 30, every(30*time.Second))
	// Every idle time is in the first minute: no pre-warm, keep 66s.
	if pre, ka := k.Windows("f", 0); pre != 0 || ka != 66*time.Second {
		t.Fatalf("frequent: pre %v ka %v, want 0 and 66s", pre, ka)
	}
}

func TestKeepAliveAdaptivePeriodic(t *testing.T) {
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 10 * time.Minute})
	c := newClock()
	calls(k, c, "cron", 40, every(30*time.Minute))
	pre, ka := k.Windows("cron", 0)
	// Idle times are 30m: bin 30. Pre-warm 30m × 0.9, keep-alive to the
	// bin's end, 31m × 1.1.
	lo, hi := float64(30*time.Minute), float64(31*time.Minute)
	wantPre := time.Duration(lo * (1 - 0.1))
	wantEnd := time.Duration(hi * (1 + 0.1))
	if pre != wantPre || ka != wantEnd-wantPre {
		t.Fatalf("periodic: pre %v ka %v, want %v and %v", pre, ka, wantPre, wantEnd-wantPre)
	}
	// A concurrent call does not count as an idle time.
	k.Arrival("cron", c.now())
	k.Arrival("cron", c.now().Add(time.Second))
	k.Done("cron", c.now().Add(2*time.Second))
	k.Done("cron", c.now().Add(3*time.Second))
	if p2, k2 := k.Windows("cron", 0); p2 != pre || k2 != ka {
		t.Fatalf("overlapping calls changed the windows: %v %v", p2, k2)
	}
}

func TestKeepAliveAdaptiveNotRepresentative(t *testing.T) {
	c := newClock()
	// Idle times spread evenly over the 4 hours: a flat histogram, which
	// the paper's percentile windows do not trust. (Priced, its rising
	// tail is worth pre-warming for.)
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 7 * time.Minute, ColdStartGBs: -1})
	r := rand.New(rand.NewPCG(1, 2))
	calls(k, c, "flat", 2000, func() time.Duration { return time.Duration(r.Int64N(int64(4 * time.Hour))) })
	if pre, ka := k.Windows("flat", 0); pre != 0 || ka != 7*time.Minute {
		t.Fatalf("flat: %v %v, want the fixed fallback", pre, ka)
	}
	// Mostly beyond the histogram's range, and irregular.
	gap := 5 * time.Hour
	calls(k, c, "rare", 20, func() time.Duration { gap = 14*time.Hour - gap; return gap })
	if pre, ka := k.Windows("rare", 0); pre != 0 || ka != 7*time.Minute {
		t.Fatalf("out of bounds, irregular: %v %v, want the fixed fallback", pre, ka)
	}
	if pre, ka := k.Windows("unknown", 0); pre != 0 || ka != 7*time.Minute {
		t.Fatalf("unknown: %v %v", pre, ka)
	}
}

func TestKeepAliveAdaptiveForecast(t *testing.T) {
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 10 * time.Minute})
	c := newClock()
	// Every 6 hours: beyond the histogram, but regular. Two idle times
	// are needed to see that they agree.
	calls(k, c, "batch", 2, every(6*time.Hour))
	if pre, ka := k.Windows("batch", 0); pre != 0 || ka != 10*time.Minute {
		t.Fatalf("one idle time: %v %v, want the fixed fallback", pre, ka)
	}
	calls(k, c, "batch", 2, every(6*time.Hour))
	// Forecast 6h; pre-warm 15% before it, keep until 15% after it.
	if pre, ka := k.Windows("batch", 0); pre != 6*time.Hour*85/100 || ka != 6*time.Hour*30/100 {
		t.Fatalf("forecast: pre %v ka %v, want %v and %v", pre, ka, 6*time.Hour*85/100, 6*time.Hour*30/100)
	}
}

func TestKeepAliveAdaptivePricesIdleMemory(t *testing.T) {
	exp := func(seed uint64, mean time.Duration) func() time.Duration {
		r := rand.New(rand.NewPCG(seed, 1))
		return func() time.Duration { return time.Duration(r.ExpFloat64() * float64(mean)) }
	}
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 10 * time.Minute})
	c := newClock()
	// Memoryless calls: a call comes in the next minute with the same
	// chance however long the instance has idled. Every 3 minutes that
	// pays for a 256 MB instance (400 GB-s per call caught), so it is
	// kept through the whole histogram; every hour it does not, so it
	// is stopped after each call.
	calls(k, c, "often", 500, exp(1, 3*time.Minute))
	if pre, ka := k.Windows("often", 256); pre != 0 || ka < 15*time.Minute {
		t.Fatalf("every 3 minutes: pre %v ka %v, want 0 and at least 15m", pre, ka)
	}
	calls(k, c, "hourly", 200, exp(2, time.Hour))
	if pre, ka := k.Windows("hourly", 256); pre != 0 || ka != 0 {
		t.Fatalf("every hour: pre %v ka %v, want 0 and 0", pre, ka)
	}
	// The price is per GB: the same calls at 16 MB are worth keeping.
	if _, ka := k.Windows("hourly", 16); ka < time.Hour {
		t.Fatalf("every hour at 16 MB: ka %v, want at least 1h", ka)
	}
}

func TestParseKeepAlivePolicy(t *testing.T) {
	for in, want := range map[string]KeepAliveConfig{
		"fixed:10m": {Fixed: 10 * time.Minute},
		"fixed":     {Fixed: time.Minute},
		"adaptive":  {Adaptive: true, Fixed: time.Minute},
	} {
		got, err := ParseKeepAlivePolicy(in, time.Minute)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"fixed:", "fixed:-1m", "lru", ""} {
		if _, err := ParseKeepAlivePolicy(bad, time.Minute); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
