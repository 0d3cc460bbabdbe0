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
	if pre, ka := k.Windows("f"); pre != 0 || ka != 10*time.Minute {
		t.Fatalf("fixed: %v %v", pre, ka)
	}
}

func TestKeepAliveAdaptiveFrequent(t *testing.T) {
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 10 * time.Minute})
	c := newClock()
	calls(k, c, "f", 5, every(30*time.Second))
	if pre, ka := k.Windows("f"); pre != 0 || ka != 10*time.Minute {
		t.Fatalf("too few samples should fall back to fixed: %v %v", pre, ka)
	}
	calls(k, c, "f", 30, every(30*time.Second))
	// Every idle time is in the first minute: no pre-warm, keep 66s.
	if pre, ka := k.Windows("f"); pre != 0 || ka != 66*time.Second {
		t.Fatalf("frequent: pre %v ka %v, want 0 and 66s", pre, ka)
	}
}

func TestKeepAliveAdaptivePeriodic(t *testing.T) {
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 10 * time.Minute})
	c := newClock()
	calls(k, c, "cron", 40, every(30*time.Minute))
	pre, ka := k.Windows("cron")
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
	if p2, k2 := k.Windows("cron"); p2 != pre || k2 != ka {
		t.Fatalf("overlapping calls changed the windows: %v %v", p2, k2)
	}
}

func TestKeepAliveAdaptiveNotRepresentative(t *testing.T) {
	c := newClock()
	// Idle times spread evenly over the 4 hours: a flat histogram.
	k := NewKeepAlive(KeepAliveConfig{Adaptive: true, Fixed: 7 * time.Minute})
	r := rand.New(rand.NewPCG(1, 2))
	calls(k, c, "flat", 2000, func() time.Duration { return time.Duration(r.Int64N(int64(4 * time.Hour))) })
	if pre, ka := k.Windows("flat"); pre != 0 || ka != 7*time.Minute {
		t.Fatalf("flat: %v %v, want the fixed fallback", pre, ka)
	}
	// Mostly beyond the histogram's range.
	calls(k, c, "rare", 20, every(5*time.Hour))
	if pre, ka := k.Windows("rare"); pre != 0 || ka != 7*time.Minute {
		t.Fatalf("out of bounds: %v %v, want the fixed fallback", pre, ka)
	}
	if pre, ka := k.Windows("unknown"); pre != 0 || ka != 7*time.Minute {
		t.Fatalf("unknown: %v %v", pre, ka)
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
