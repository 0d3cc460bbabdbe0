package process

import (
	"context"
	"sort"
	"testing"
	"time"
)

func benchParked(b *testing.B, ack bool) {
	ackFirst = ack
	defer func() { ackFirst = false }()
	r := newRuntime(b)
	inst := start(b, r, goSpec(helloDir))
	req := newRequest(`{"name":"bench"}`, time.Hour)
	ctx := context.Background()
	var d []time.Duration
	for b.Loop() {
		for inst.polls.Load() <= inst.took.Load() {
			<-inst.polled
		}
		time.Sleep(50 * time.Microsecond)
		t0 := time.Now()
		_, err := inst.Invoke(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	sort.Slice(d, func(a, c int) bool { return d[a] < d[c] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(d[len(d)/10].Microseconds()), "p10-us")
}
func BenchmarkParkedSignalFirst(b *testing.B) { benchParked(b, false) }
func BenchmarkParkedAckFirst(b *testing.B) { benchParked(b, true) }
func BenchmarkWarmAckFirst(b *testing.B) { ackFirst = true; defer func() { ackFirst = false }(); BenchmarkWarmInvoke(b) }
