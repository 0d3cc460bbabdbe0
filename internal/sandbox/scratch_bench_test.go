package sandbox

import (
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkScratchBurst makes 100 /tmp filesystems at once, as a burst
// of cold starts that finds the pool empty does, and releases them.
func BenchmarkScratchBurst(b *testing.B) {
	p, err := newScratchPool(b.TempDir(), 512, 1, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Skip(err)
	}
	defer p.close()
	for b.Loop() {
		var wg sync.WaitGroup
		scs := make([]*scratch, 100)
		for i := range scs {
			wg.Go(func() {
				sc, err := p.make(512)
				if err != nil {
					b.Error(err)
					return
				}
				scs[i] = sc
			})
		}
		wg.Wait()
		b.StopTimer()
		for _, sc := range scs {
			sc.close()
		}
		b.StartTimer()
	}
}

// BenchmarkStartTmpfs and BenchmarkStartScratch time Start (cgroup slot,
// namespaces, mounts, fork and exec) with /tmp a tmpfs, as before, and a
// ready filesystem from the pool; the instance's teardown is not timed.
func BenchmarkStartTmpfs(b *testing.B) { benchStart(b, "", false) }

func BenchmarkStartScratch(b *testing.B) { benchStart(b, b.TempDir(), false) }

// BenchmarkStartHostRoot is BenchmarkStartScratch without the minimal root
// (rootfs.go): the host's root, read-only, as where none can be built.
func BenchmarkStartHostRoot(b *testing.B) { benchStart(b, b.TempDir(), true) }

func benchStart(b *testing.B, scratchDir string, hostRoot bool) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	s, err := New(Config{ScratchDir: scratchDir})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if (s.scratch != nil) != (scratchDir != "") {
		b.Skip(s.Report())
	}
	if hostRoot && s.root != nil {
		s.root.close()
		s.root = nil
	}
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		cmd := exec.Command("/bin/sleep", "10")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		t0 := time.Now()
		box, err := s.Start(cmd, Spec{MemoryMB: 128})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cmd.Process.Kill()
		cmd.Wait()
		box.Close()
		time.Sleep(5 * time.Millisecond) // the pools refill, as between cold starts
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
}
