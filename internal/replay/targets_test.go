package replay

import (
	"bytes"
	"context"
	"testing"
)

// TestKeepAliveTargets replays fixed-seed synthetic days through the real
// pool on the virtual clock and holds the adaptive policy to its figures
// against fixed:10m (docs/RATIONALE.md): at most half the cold-start
// fraction, with less idle memory, and pre-warms that calls use.
func TestKeepAliveTargets(t *testing.T) {
	for _, tc := range []struct {
		mix            string
		maxCold, maxGB float64 // ratios to fixed:10m
	}{
		{MixSimple, 0.5, 0.8},
		// The harder mix: a third of its functions are memoryless, where
		// fewer cold starts cost idle memory (see docs/RATIONALE.md).
		{MixAzure, 0.5, 0.85},
	} {
		t.Run(tc.mix, func(t *testing.T) {
			fx, ad := replayBoth(t, tc.mix, 400, 1)
			cold, gb := ad.ColdFraction/fx.ColdFraction, ad.IdleGBs/fx.IdleGBs
			t.Logf("fixed:10m %+v\nadaptive %+v\ncold ratio %.3f, idle GB-s ratio %.3f", *fx, *ad, cold, gb)
			if cold > tc.maxCold {
				t.Errorf("cold-start fraction %.3f× fixed:10m's, want ≤ %.2f×", cold, tc.maxCold)
			}
			if gb > tc.maxGB {
				t.Errorf("idle GB-s %.3f× fixed:10m's, want ≤ %.2f×", gb, tc.maxGB)
			}
			if ad.Prewarms == 0 || float64(ad.PrewarmHits) < 0.8*float64(ad.Prewarms) {
				t.Errorf("%d pre-warms, %d used by a call: want pre-warms, and ≥ 80%% of them used", ad.Prewarms, ad.PrewarmHits)
			}
			if fx.Prewarms != 0 || fx.PrewarmHits != 0 {
				t.Errorf("fixed:10m pre-warmed: %+v", *fx)
			}
		})
	}
}

func replayBoth(t *testing.T, mix string, n int, seed uint64) (fixed, adaptive *Result) {
	t.Helper()
	var inv, dur, mem bytes.Buffer
	if err := SynthesizeMix(mix, n, seed, &inv, &dur, &mem); err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(&inv, &dur, &mem)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if fixed, err = Run(ctx, tr, Options{Policy: "fixed:10m"}); err != nil {
		t.Fatal(err)
	}
	if adaptive, err = Run(ctx, tr, Options{Policy: "adaptive"}); err != nil {
		t.Fatal(err)
	}
	return fixed, adaptive
}
