package process

import (
	"context"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/sandbox"
)

// BenchmarkColdStartPlain: hello-go from exec to ready (its first GET
// /next) as a plain process: the baseline of BenchmarkColdStartSandbox.
func BenchmarkColdStartPlain(b *testing.B) {
	benchCold(b, newRuntime(b))
}

// BenchmarkColdStartSandbox: the same inside the full sandbox (cgroup,
// namespaces, mounts, uid switch, rlimits), teardown excluded.
func BenchmarkColdStartSandbox(b *testing.B) {
	r, _ := newSandboxed(b, sandbox.Config{})
	benchCold(b, r)
}

func benchCold(b *testing.B, r *Runtime) {
	spec := goSpec(helloDir)
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		t0 := time.Now()
		inst, err := r.NewInstance(ctx, spec)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		inst.Close(ctx)
		b.StartTimer()
	}
	reportP50(b, lat)
}

// BenchmarkSandboxedInstanceCycle: sandboxed instances started and torn
// down one after another (cgroup removed, namespaces gone): instances/s.
func BenchmarkSandboxedInstanceCycle(b *testing.B) {
	r, _ := newSandboxed(b, sandbox.Config{})
	spec := goSpec(helloDir)
	ctx := context.Background()
	t0 := time.Now()
	for b.Loop() {
		inst, err := r.NewInstance(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		if err := inst.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "instances/s")
}
