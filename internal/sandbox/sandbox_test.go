package sandbox

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestDisabledWarns(t *testing.T) {
	s, err := New(Config{Disable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Enforced() || !strings.Contains(s.Report(), "WARNING") || !strings.Contains(s.Report(), "disabled") {
		t.Fatalf("report of a disabled sandbox: %q", s.Report())
	}
	cmd := exec.Command("/bin/true")
	b, err := s.Start(cmd, Spec{MemoryMB: 128})
	if err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if b.Limited() {
		t.Fatal("a disabled sandbox limited a process")
	}
	// A function that asked for no network does not run with one.
	if _, err := s.Start(exec.Command("/bin/true"), Spec{NoNetwork: true}); err == nil || !strings.Contains(err.Error(), "no network") {
		t.Fatalf("no-network start without a sandbox: %v", err)
	}
}

// TestReport: on this host the report either lists what is enforced or
// names what is missing and what is therefore not enforced.
func TestReport(t *testing.T) {
	s, err := New(Config{ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	t.Log(r)
	switch {
	case os.Geteuid() != 0:
		if s.Enforced() || !strings.Contains(r, "not running as root") || !strings.Contains(r, "memory") {
			t.Fatalf("as uid %d: %q", os.Geteuid(), r)
		}
	case s.Enforced():
		for _, want := range []string{"memory", "cpu", "pids", "namespaces"} {
			if !strings.Contains(r, want) {
				t.Fatalf("report lacks %q: %q", want, r)
			}
		}
	default:
		if !strings.Contains(r, "not enforced") {
			t.Fatalf("a warning must say what is not enforced: %q", r)
		}
	}
}

// TestStartFailureCleansUp: a command that cannot start leaves no cgroup.
func TestStartFailureCleansUp(t *testing.T) {
	s, err := New(Config{ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enforced() {
		s.Close()
		t.Skip(s.Report())
	}
	for range 3 {
		if _, err := s.Start(exec.Command("/nonexistent/bootstrap"), Spec{MemoryMB: 128}); err == nil {
			t.Fatal("started a missing executable")
		}
	}
	if n := s.Live(); n != 0 {
		t.Fatalf("%d cgroups left", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range s.parents {
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("%s left after Close", dir)
		}
	}
}
