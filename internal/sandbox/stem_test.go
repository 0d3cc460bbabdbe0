package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// enforced makes a sandbox with cfg, or skips the test with what the host
// lacks; it is closed at the end of the test.
func enforced(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if cfg.ScratchDir == "" {
		cfg.ScratchDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enforced() {
		s.Close()
		t.Skip(s.Report())
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestLimitRaiseAndLower: a stem instance gets its function's memory after
// it started with the smallest, and on cgroup v1 the memory and memsw
// limits must stay ordered at each step, raising or lowering.
func TestLimitRaiseAndLower(t *testing.T) {
	s := enforced(t, Config{})
	cmd := exec.Command("sleep", "30")
	b, err := s.Start(cmd, Spec{MemoryMB: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		b.Close()
	}()
	for _, mb := range []int{1024, 256, 3008, 128} {
		if err := b.Limit(mb); err != nil {
			t.Fatalf("limit %d MB: %v", mb, err)
		}
		file := "memory.limit_in_bytes"
		if b.cg.v2 {
			file = "memory.max"
		}
		got, err := os.ReadFile(filepath.Join(b.cg.dirs["memory"], file))
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(mb << 20); strings.TrimSpace(string(got)) != want {
			t.Fatalf("%s after Limit(%d): %s, want %s", file, mb, got, want)
		}
	}
}

// TestStemRootAfterCrash: a platform that crashed left its stem dir bound
// with a code mount under it; the next start clears both and binds it
// afresh.
func TestStemRootAfterCrash(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := filepath.Join(t.TempDir(), "stems")
	code := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "s7"), 0o755))
	must(unix.Mount(dir, dir, "", unix.MS_BIND, ""))
	must(unix.Mount(code, filepath.Join(dir, "s7"), "", unix.MS_BIND, ""))
	s := enforced(t, Config{StemDir: dir})
	if err := s.StemsAvailable(); err != nil {
		t.Fatal(err)
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	must(err)
	if n := strings.Count(string(mi), " "+dir+" "); n != 1 {
		t.Errorf("%d mounts at %s after the restart, want 1 (the fresh bind)", n, dir)
	}
	if strings.Contains(string(mi), filepath.Join(dir, "s7")) {
		t.Error("the crashed platform's code mount is still there")
	}
	if _, err := os.Stat(filepath.Join(dir, "s7")); !os.IsNotExist(err) {
		t.Errorf("its task root is still there: %v", err)
	}
}
