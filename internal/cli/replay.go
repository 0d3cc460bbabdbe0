package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/replay"
)

func newReplayCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Replay an Azure Functions trace through the keep-alive policy",
		Long: `Replay a day of the Azure Functions 2019 public trace (or one in its
format) through Updraft's real pool and keep-alive policy on a virtual clock,
with a simulated runtime, and print cold starts and idle memory for the
chosen policy and for fixed:10m. No server is needed.

Files (CSV, columns found by header name): --invocations
(invocations_per_function_md.anon.d01.csv), --durations
(function_durations_percentiles.anon.d01.csv), --memory
(app_memory_percentiles.anon.d01.csv). --synthesize N writes a synthetic
trace of N functions in the same format to the three paths instead, in
the mix chosen by --mix: "azure" (the shapes of the Azure trace: timers,
memoryless HTTP, frequent, bursts, sporadic) or "simple" (timers, frequent,
bursts).`,
		Example: `  updraft replay --invocations inv.csv --durations dur.csv --memory mem.csv --policy adaptive -o json
  updraft replay --synthesize 400 --mix azure --invocations inv.csv --durations dur.csv --memory mem.csv`,
		Args: args(),
	}
	f := cmd.Flags()
	inv := f.String("invocations", "", "invocations per function per minute (CSV)")
	dur := f.String("durations", "", "function duration percentiles (CSV)")
	mem := f.String("memory", "", "app memory percentiles (CSV)")
	policy := f.String("policy", "adaptive", "keep-alive policy: adaptive or fixed:DURATION")
	budget := f.Int("idle-budget-mb", 0, "cap on idle-instance memory in MB (0: none)")
	coldMs := f.Int("cold-start-ms", 500, "simulated cold-start cost in ms")
	synth := f.Int("synthesize", 0, "write a synthetic trace of this many functions instead of replaying")
	mix := f.String("mix", replay.MixAzure, "the synthetic trace's mix: azure or simple")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		if *inv == "" || *dur == "" || *mem == "" {
			return usagef("--invocations, --durations and --memory are all required")
		}
		if *synth > 0 {
			if *mix != replay.MixAzure && *mix != replay.MixSimple {
				return usagef("--mix %q: use %s or %s", *mix, replay.MixAzure, replay.MixSimple)
			}
			return synthesize(*mix, *synth, *inv, *dur, *mem)
		}
		tr, err := parseFiles(*inv, *dur, *mem)
		if err != nil {
			return err
		}
		t0 := time.Now()
		o := replay.Options{Policy: *policy, IdleBudgetMB: *budget, ColdStart: time.Duration(*coldMs) * time.Millisecond}
		res, err := replay.Run(ctx, tr, o)
		if err != nil {
			return err
		}
		o.Policy = "fixed:10m"
		base, err := replay.Run(ctx, tr, o)
		if err != nil {
			return err
		}
		out := map[string]any{"functions": len(tr.Functions), "policy": res, "baseline": base,
			"elapsed_s": time.Since(t0).Seconds()}
		if a.jsonOutput() {
			return a.printJSON(out)
		}
		for _, r := range []*replay.Result{res, base} {
			fmt.Fprintf(a.stdout, "%-10s invocations %d  cold starts %d  cold fraction %.4f  median fn cold fraction %.4f  idle GB-s %.0f  pre-warms %d (used %d)\n",
				r.Policy, r.Invocations, r.ColdStarts, r.ColdFraction, r.MedianFnColdFraction, r.IdleGBs, r.Prewarms, r.PrewarmHits)
		}
		return nil
	})
	return cmd
}

func parseFiles(inv, dur, mem string) (*replay.Trace, error) {
	var files []io.Reader
	for _, p := range []string{inv, dur, mem} {
		fh, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		files = append(files, fh)
	}
	return replay.Parse(files[0], files[1], files[2])
}

func synthesize(mix string, n int, inv, dur, mem string) error {
	var files []*os.File
	for _, p := range []string{inv, dur, mem} {
		fh, err := os.Create(p)
		if err != nil {
			return err
		}
		defer fh.Close()
		files = append(files, fh)
	}
	if err := replay.SynthesizeMix(mix, n, 1, files[0], files[1], files[2]); err != nil {
		return err
	}
	for _, fh := range files {
		if err := fh.Close(); err != nil {
			return err
		}
	}
	return nil
}
