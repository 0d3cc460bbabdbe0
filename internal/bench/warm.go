package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// warmRig is what the warm figures compare: the plain server, the reverse
// proxy in front of it (of-watchdog's equivalent; its process's CPU time
// is read too) and the platform (serve's process).
type warmRig struct {
	base      Target
	proxy     Target
	proxyPID  int
	servePID  int
	c         *apiclient.Client
	d         time.Duration
	callsMade map[string]int // successful calls per function, for the record check
}

// warm measures one function's warm path against the rig's baselines:
// latency at 1 client, throughput at 16 clients, serve's CPU time per
// call; then checks that every call left its log lines and usage record.
func (rg *warmRig) warm(ctx context.Context, w io.Writer, suffix, name string, plat Target) error {
	us := func(x time.Duration) float64 { return float64(x) / float64(time.Microsecond) }
	b1 := Load(ctx, rg.base, 1, rg.d)
	x1, xcpu1, err := measured(rg.proxyPID, func() LoadResult { return Load(ctx, rg.proxy, 1, rg.d) })
	if err != nil {
		return fmt.Errorf("proxy 1 client: %w", err)
	}
	p1, cpu1, err := measured(rg.servePID, func() LoadResult { return Load(ctx, plat, 1, rg.d) })
	if err != nil {
		return fmt.Errorf("warm 1 client: %w", err)
	}
	rg.callsMade[name] += p1.Calls
	if p1.Errors > 0 || x1.Errors > 0 {
		return fmt.Errorf("warm 1 client: %d errors (proxy: %d), first: %s%s", p1.Errors, x1.Errors, p1.FirstError, x1.FirstError)
	}
	added := func(r LoadResult, p float64) time.Duration { return r.Percentile(p) - b1.Percentile(p) }
	Emit(w, Figure{Name: "warm_p50_1client" + suffix, Value: us(p1.Percentile(50)), Unit: "us", Baseline: us(b1.Percentile(50))})
	Emit(w, Figure{Name: "warm_p99_1client" + suffix, Value: us(p1.Percentile(99)), Unit: "us", Baseline: us(b1.Percentile(99))})
	Emit(w, Figure{Name: "warm_overhead_p50_1client" + suffix, Value: us(added(p1, 50)), Unit: "us", Baseline: us(added(x1, 50)),
		Target: "ratio < 1 (stretch <= 0.6)", Note: "p50 added to the plain server's; baseline: what the reverse proxy (of-watchdog's equivalent) adds"})
	Emit(w, Figure{Name: "warm_overhead_p99_1client" + suffix, Value: us(added(p1, 99)), Unit: "us", Baseline: us(added(x1, 99)),
		Note: "p99 added to the plain server's; baseline: what the reverse proxy adds"})
	Emit(w, Figure{Name: "warm_p99_1client_vs_proxy" + suffix, Value: us(p1.Percentile(99)), Unit: "us", Baseline: us(x1.Percentile(99)), Target: "ratio <= 1"})
	Emit(w, Figure{Name: "warm_throughput_1client" + suffix, Value: p1.Throughput(), Unit: "req/s", Baseline: b1.Throughput()})

	b16 := Load(ctx, rg.base, 16, rg.d)
	x16, xcpu16, err := measured(rg.proxyPID, func() LoadResult { return Load(ctx, rg.proxy, 16, rg.d) })
	if err != nil {
		return fmt.Errorf("proxy 16 clients: %w", err)
	}
	p16, cpu16, err := measured(rg.servePID, func() LoadResult { return Load(ctx, plat, 16, rg.d) })
	if err != nil {
		return fmt.Errorf("warm 16 clients: %w", err)
	}
	rg.callsMade[name] += p16.Calls
	if p16.Errors > 0 || x16.Errors > 0 {
		return fmt.Errorf("warm 16 clients: %d errors (proxy: %d), first: %s%s", p16.Errors, x16.Errors, p16.FirstError, x16.FirstError)
	}
	Emit(w, Figure{Name: "warm_throughput_16clients" + suffix, Value: p16.Throughput(), Unit: "req/s", Baseline: b16.Throughput(),
		Note: fmt.Sprintf("the reverse proxy's share of the plain server: %.3f", x16.Throughput()/b16.Throughput())})
	Emit(w, Figure{Name: "warm_throughput_16clients_vs_proxy" + suffix, Value: p16.Throughput(), Unit: "req/s", Baseline: x16.Throughput(),
		Target: "ratio > 1 (stretch >= 1.5)"})
	Emit(w, Figure{Name: "warm_p50_16clients" + suffix, Value: us(p16.Percentile(50)), Unit: "us", Baseline: us(b16.Percentile(50))})
	Emit(w, Figure{Name: "warm_p99_16clients" + suffix, Value: us(p16.Percentile(99)), Unit: "us", Baseline: us(b16.Percentile(99))})
	Emit(w, Figure{Name: "platform_cpu_per_warm_call_16clients" + suffix, Value: us(cpu16), Unit: "us", Baseline: us(xcpu16), Target: "<= 60",
		Note: "serve's CPU time (/proc stat, function processes not counted) over a 16-client run / its calls; baseline: the reverse proxy's"})
	Emit(w, Figure{Name: "platform_cpu_per_warm_call_1client" + suffix, Value: us(cpu1), Unit: "us", Baseline: us(xcpu1), Target: "<= 60",
		Note: "the same over the 1-client run"})
	return rg.checkRecords(ctx, w, suffix, name)
}

// checkRecords compares the calls made to function name with its usage
// records and its START, END and REPORT log lines, once the platform's
// batches had time to be stored.
func (rg *warmRig) checkRecords(ctx context.Context, w io.Writer, suffix, name string) error {
	want := rg.callsMade[name]
	var usage int64
	for deadline := time.Now().Add(10 * time.Second); ; {
		sums, err := rg.c.Usage(ctx, name, "")
		if err != nil {
			return fmt.Errorf("usage of %s: %w", name, err)
		}
		usage = 0
		for _, s := range sums {
			usage += s.Invocations
		}
		if usage >= int64(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	counts := map[string]int{}
	err := rg.c.Logs(ctx, name, "", false, func(e fn.LogEntry) error {
		for _, p := range []string{"START ", "END ", "REPORT "} {
			if strings.HasPrefix(e.Message, p) {
				counts[p]++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logs of %s: %w", name, err)
	}
	missing := max(0, int64(want)-usage)
	for _, p := range []string{"START ", "END ", "REPORT "} {
		missing = max(missing, int64(want-counts[p]))
	}
	Emit(w, Figure{Name: "warm_records_missing" + suffix, Value: float64(missing), Unit: "calls", Target: "0",
		Note: fmt.Sprintf("%d successful calls; %d usage records; START/END/REPORT lines: %d/%d/%d",
			want, usage, counts["START "], counts["END "], counts["REPORT "])})
	return nil
}
