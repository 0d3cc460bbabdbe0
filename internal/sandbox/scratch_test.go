package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// run starts sh -c script in s with spec, waits for it and closes its box;
// it returns the combined output.
func run(t *testing.T, s *Sandbox, spec Spec, script string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b, err := s.Start(cmd, spec)
	if err != nil {
		t.Fatal(err)
	}
	werr := cmd.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if werr != nil {
		t.Fatalf("%s: %v: %s", script, werr, out.String())
	}
	return out.String()
}

// TestScratchTmp: /tmp is an ext4 of its own with the size asked for; a
// write past it fails with ENOSPC; a 32 MB instance writes 64 MB there
// without being OOM-killed.
func TestScratchTmp(t *testing.T) {
	s := enforced(t, Config{TmpMB: 96})
	out := run(t, s, Spec{MemoryMB: 32}, `stat -f -c '%T %b %S' /tmp; ls -A /tmp | wc -l
dd if=/dev/zero of=/tmp/a bs=1M count=64 2>&1 | tail -1; echo dd $?
dd if=/dev/zero of=/tmp/b bs=1M count=64 2>&1 | grep -c 'No space left'`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var typ string
	var blocks, bsize int64
	if len(lines) != 5 {
		t.Fatalf("output %q", out)
	}
	if _, err := fmt.Sscan(lines[0], &typ, &blocks, &bsize); err != nil || typ != "ext2/ext3" {
		t.Fatalf("statfs of /tmp: %q (%v), want an ext4", lines[0], err)
	}
	if total := blocks * bsize; total < 96<<20 || total > 100<<20 {
		t.Errorf("/tmp holds %d MB, want 96 (and its metadata)", total>>20)
	}
	if lines[1] != "0" {
		t.Errorf("/tmp has %s entries, want none (no lost+found)", lines[1])
	}
	if lines[3] != "dd 0" {
		t.Errorf("64 MB into /tmp of a 32 MB instance: %q", lines[2:4])
	}
	if lines[4] != "1" {
		t.Errorf("writing past /tmp's size: want ENOSPC, got %q", out)
	}
}

// TestScratchReuse: an instance's /tmp goes back to the pool, emptied:
// the next instance finds nothing of it, and a symlink it left is removed,
// not followed.
func TestScratchReuse(t *testing.T) {
	s := enforced(t, Config{WarmSlots: 1, TmpMB: 16})
	keep := filepath.Join(t.TempDir(), "keep")
	must(t, os.WriteFile(keep, []byte("x"), 0o644))
	run(t, s, Spec{}, `echo secret > /tmp/s; mkdir -p /tmp/d/e; echo x > /tmp/d/e/f; chmod 000 /tmp/d/e
ln -s `+filepath.Dir(keep)+` /tmp/l; ln -s /tmp/d /tmp/d/e2`)
	settle(s)
	if s.scratch.reused.Load() != 1 {
		t.Fatalf("reused %d filesystems, want 1", s.scratch.reused.Load())
	}
	for range len(s.scratch.ready) { // one of them is the reused one
		if out := run(t, s, Spec{}, `ls -A /tmp`); out != "" {
			t.Errorf("a later instance's /tmp holds %q", out)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("emptying /tmp followed a symlink: %v", err)
	}
}

// TestScratchFallback: without a scratch dir /tmp is a tmpfs as before,
// and one warning says what that means.
func TestScratchFallback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	s, err := New(Config{TmpMB: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	for _, w := range s.Warnings() {
		if strings.Contains(w, "/tmp") {
			n++
			if !strings.Contains(w, "tmpfs") || !strings.Contains(w, "memory") {
				t.Errorf("warning %q does not say what it means", w)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d warnings about /tmp, want 1: %q", n, s.Warnings())
	}
	if !s.host.Namespaces {
		t.Skip("no mount namespaces: no /tmp of its own at all")
	}
	out := run(t, s, Spec{MemoryMB: 128}, `stat -f -c %T /tmp; dd if=/dev/zero of=/tmp/a bs=1M count=16 2>&1 | grep -c 'No space left'`)
	if f := strings.Fields(out); len(f) != 2 || f[0] != "tmpfs" || f[1] != "1" {
		t.Fatalf("fallback /tmp: %q, want an 8 MB tmpfs", out)
	}
}

// TestScratchAfterCrash: a loop device a crashed platform left over a file
// in the scratch dir is cleared by the next start.
func TestScratchAfterCrash(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "left")
	must(t, os.WriteFile(img, make([]byte, 1<<20), 0o600))
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	must(t, err)
	p := &scratchPool{}
	if p.ctl, err = os.OpenFile("/dev/loop-control", os.O_RDWR, 0); err != nil {
		t.Skip("no loop devices:", err)
	}
	dev, err := p.attach(f)
	must(t, err)
	p.ctl.Close()
	f.Close()
	// No autoclear: as if the platform had died holding it.
	must(t, unix.IoctlLoopSetStatus64(int(dev.Fd()), &unix.LoopInfo64{}))
	dev.Close()
	t.Cleanup(func() { // should the test fail
		if d, err := os.OpenFile(dev.Name(), os.O_RDWR, 0); err == nil {
			unix.IoctlSetInt(int(d.Fd()), unix.LOOP_CLR_FD, 0)
			d.Close()
		}
	})
	s := enforced(t, Config{ScratchDir: dir})
	for _, l := range scratchLoops(s) {
		if strings.HasPrefix(l, img) {
			t.Fatalf("%s still backs a loop device after the restart", img)
		}
	}
}
