package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/updraft-dev/updraft/internal/bench"
)

func main() {
	baseline := flag.String("baseline-server", "", "internal: serve as the baseline on this address")
	baselineBody := flag.String("baseline-body", "", "internal: what the baseline server answers")
	proxy := flag.String("proxy-server", "", "internal: serve as the reverse proxy baseline on this address")
	proxyTarget := flag.String("proxy-target", "", "internal: the URL the reverse proxy forwards to")
	updraft := flag.String("updraft", "bin/updraft", "the updraft binary to benchmark")
	dur := flag.Duration("duration", 3*time.Second, "length of each load phase")
	coldRuns := flag.Int("cold-runs", 10, "cold starts measured per runtime")
	only := flag.String("only", "", "run only these figures: warm, burst, cold, rss, messaging, netiso, tables, s3, wasm, routes, stacks or replay")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *baseline != "" {
		if err := bench.ServeBaseline(*baseline, []byte(*baselineBody)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *proxy != "" {
		if err := bench.ServeProxy(*proxy, *proxyTarget); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	root, _ := os.Getwd()
	if err := bench.Run(ctx, os.Stdout, bench.Options{Root: root, Duration: *dur, ColdRuns: *coldRuns, Self: self, Updraft: *updraft, Only: *only}); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
