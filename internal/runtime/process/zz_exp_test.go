package process

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func procCPU(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var u, st int64
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &st)
	return time.Duration(u+st) * 10 * time.Millisecond
}
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuBench(b *testing.B, dir string) {
	r := newRuntime(b)
	inst := start(b, r, goSpec(dir))
	req := newRequest(`{"name":"bench"}`, time.Hour)
	ctx := context.Background()
	c0, s0 := procCPU(inst.pid), selfCPU()
	n := 0
	for b.Loop() {
		inst.Invoke(ctx, req)
		n++
	}
	b.ReportMetric(float64((procCPU(inst.pid)-c0).Microseconds())/float64(n), "fn-cpu-us")
	b.ReportMetric(float64((selfCPU()-s0).Microseconds())/float64(n), "platform-cpu-us")
}
func BenchmarkCPUHello(b *testing.B) { cpuBench(b, helloDir) }
func BenchmarkCPURaw(b *testing.B)   { cpuBench(b, rawDir) }

func BenchmarkCPUHelloMaxProcs1(b *testing.B) {
	r := newRuntime(b)
	spec := goSpec(helloDir)
	spec.Env = map[string]string{"GOMAXPROCS": "1"}
	inst := start(b, r, spec)
	req := newRequest(`{"name":"bench"}`, time.Hour)
	ctx := context.Background()
	c0, s0 := procCPU(inst.pid), selfCPU()
	n := 0
	for b.Loop() {
		inst.Invoke(ctx, req)
		n++
	}
	b.ReportMetric(float64((procCPU(inst.pid)-c0).Microseconds())/float64(n), "fn-cpu-us")
	b.ReportMetric(float64((selfCPU()-s0).Microseconds())/float64(n), "platform-cpu-us")
}
