package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/updraft-dev/updraft/internal/replay"
)

// replayFigures replays synthetic 400-function days (both mixes) through
// the real pool on a virtual clock under the adaptive policy and under
// fixed:10m, the same-run baseline: cold-start fraction and idle GB-s of
// each, their ratios, and how many pre-warms calls used.
func replayFigures(ctx context.Context, w io.Writer) error {
	for _, mix := range []string{replay.MixAzure, replay.MixSimple} {
		var inv, dur, mem bytes.Buffer
		if err := replay.SynthesizeMix(mix, 400, 1, &inv, &dur, &mem); err != nil {
			return err
		}
		tr, err := replay.Parse(&inv, &dur, &mem)
		if err != nil {
			return err
		}
		t0 := time.Now()
		ad, err := replay.Run(ctx, tr, replay.Options{Policy: "adaptive"})
		if err != nil {
			return err
		}
		elapsed := time.Since(t0)
		fx, err := replay.Run(ctx, tr, replay.Options{Policy: "fixed:10m"})
		if err != nil {
			return err
		}
		note := fmt.Sprintf("synthetic trace, mix %s, 400 functions, 1440 minutes; value adaptive, baseline fixed:10m", mix)
		coldTarget, idleTarget := "ratio <= 0.5", "ratio <= 0.8"
		if mix == replay.MixAzure {
			idleTarget = "ratio <= 0.8 (test holds <= 0.85; see docs/RATIONALE.md)"
		}
		Emit(w, Figure{Name: "replay_cold_fraction_" + mix, Value: 100 * ad.ColdFraction, Unit: "%", Baseline: 100 * fx.ColdFraction, Target: coldTarget, Note: note})
		Emit(w, Figure{Name: "replay_idle_gb_s_" + mix, Value: ad.IdleGBs, Unit: "GB-s", Baseline: fx.IdleGBs, Target: idleTarget, Note: note})
		Emit(w, Figure{Name: "replay_median_fn_cold_fraction_" + mix, Value: 100 * ad.MedianFnColdFraction, Unit: "%", Baseline: 100 * fx.MedianFnColdFraction, Note: note})
		Emit(w, Figure{Name: "replay_prewarms_used_" + mix, Value: float64(ad.PrewarmHits), Unit: "pre-warms", Baseline: float64(ad.Prewarms),
			Note: "pre-warmed instances a call used, out of (baseline) all pre-warms of adaptive"})
		Emit(w, Figure{Name: "replay_elapsed_" + mix, Value: elapsed.Seconds(), Unit: "s", Target: "well under 60", Note: "one policy's replay"})
	}
	return nil
}
