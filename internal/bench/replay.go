package bench

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/updraft-dev/updraft/internal/replay"
)

// replayFigures replays a synthetic 400-function day under the adaptive
// policy and under fixed:10m (the same-run baseline).
func replayFigures(ctx context.Context, w io.Writer) error {
	var inv, dur, mem bytes.Buffer
	if err := replay.Synthesize(400, 1, &inv, &dur, &mem); err != nil {
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
	note := "synthetic trace, 400 functions, 1440 minutes; baseline fixed:10m"
	Emit(w, Figure{Name: "replay_cold_fraction", Value: 100 * ad.ColdFraction, Unit: "%", Baseline: 100 * fx.ColdFraction, Target: "ratio <= 0.5", Note: note})
	Emit(w, Figure{Name: "replay_median_fn_cold_fraction", Value: 100 * ad.MedianFnColdFraction, Unit: "%", Baseline: 100 * fx.MedianFnColdFraction})
	Emit(w, Figure{Name: "replay_idle_gb_s", Value: ad.IdleGBs, Unit: "GB-s", Baseline: fx.IdleGBs, Target: "ratio <= 1"})
	Emit(w, Figure{Name: "replay_elapsed", Value: elapsed.Seconds(), Unit: "s", Target: "well under 60"})
	return nil
}
