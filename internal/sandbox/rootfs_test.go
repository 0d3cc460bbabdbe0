package sandbox

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rootProbe is a python program printing what an instance sees of its
// file system, as JSON.
const rootProbe = `
import json, os, sys
out = {"root": sorted(os.listdir("/")), "var": sorted(os.listdir("/var")),
       "etc": sorted(os.listdir("/etc")), "dev": sorted(os.listdir("/dev")),
       "task": sorted(os.listdir("/var/task")), "uid": os.getuid(), "cwd": os.getcwd()}
out["passwd"] = open("/etc/passwd").read()
out["mounts"] = open("/proc/self/mountinfo").read()
out["certs"] = os.path.isdir("/etc/ssl/certs") and len(os.listdir("/etc/ssl/certs")) > 0
for p in sys.argv[1:]:
    out.setdefault("exists", {})[p] = os.path.exists(p)
try:
    open("/x", "w")
    out["write"] = "ok"
except OSError as e:
    out["write"] = e.errno
open("/dev/null", "w").write("x")
out["urandom"] = len(open("/dev/urandom", "rb").read(8))
print(json.dumps(out))
`

type rootView struct {
	Root, Var, Etc, Dev, Task []string
	UID                       int
	Cwd, Passwd, Mounts       string
	Certs                     bool
	Exists                    map[string]bool
	Write                     any
	Urandom                   int
}

// seeRoot runs rootProbe in s and returns what it saw; paths are checked
// for existence inside.
func seeRoot(t *testing.T, s *Sandbox, code string, paths ...string) rootView {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", append([]string{"-c", rootProbe}, paths...)...)
	cmd.Dir = "/"
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	b, err := s.Start(cmd, Spec{MemoryMB: 128, Code: code})
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	b.Close()
	if err != nil {
		t.Fatalf("probe: %v: %s", err, errb.String())
	}
	var v rootView
	if err := json.Unmarshal([]byte(out.String()), &v); err != nil {
		t.Fatalf("probe output %q: %v", out.String(), err)
	}
	return v
}

// TestMinimalRoot: an instance sees only what its runtime needs — /usr
// and the /lib*, /bin links, /etc essentials with its own user, /dev
// basics, its code at /var/task, /tmp, /proc — read-only, and nothing else
// of the host: no /root, /home, /work, no data dir, not even in its
// mountinfo.
func TestMinimalRoot(t *testing.T) {
	data := t.TempDir()
	s, err := New(Config{HideDirs: []string{data}, ScratchDir: t.TempDir(), StemDir: filepath.Join(data, "stems")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Enforced() {
		t.Skip(s.Report())
	}
	code := filepath.Join(data, "code")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "app.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	v := seeRoot(t, s, code, data, wd, "/root", "/home", "/work", "/srv", "/opt", "/mnt", "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf")
	t.Logf("/: %v; /etc: %v; mountinfo:\n%s", v.Root, v.Etc, v.Mounts)
	allowed := []string{"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr", "var"}
	for _, e := range v.Root {
		if !slices.Contains(allowed, e) {
			t.Errorf("/ lists %q: %v", e, v.Root)
		}
	}
	for _, want := range []string{"usr", "etc", "tmp", "var", "proc", "dev"} {
		if !slices.Contains(v.Root, want) {
			t.Errorf("/ lacks %q: %v", want, v.Root)
		}
	}
	if !slices.Equal(v.Var, []string{"runtime", "task"}) || !slices.Equal(v.Task, []string{"app.py"}) {
		t.Errorf("/var: %v, /var/task: %v", v.Var, v.Task)
	}
	for _, p := range []string{data, wd, "/root", "/home", "/work", "/srv", "/opt", "/mnt"} {
		if v.Exists[p] {
			t.Errorf("the instance sees the host's %s", p)
		}
	}
	for _, p := range []string{"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"} {
		if _, err := os.Stat(p); err == nil && !v.Exists[p] {
			t.Errorf("the instance lacks %s", p)
		}
	}
	if fi, err := os.Stat("/etc/ssl/certs"); err == nil && fi.IsDir() && !v.Certs {
		t.Error("the instance lacks /etc/ssl/certs")
	}
	if !strings.Contains(v.Passwd, instanceUser+":x:"+strconv.Itoa(v.UID)+":") {
		t.Errorf("/etc/passwd lacks uid %d: %q", v.UID, v.Passwd)
	}
	for _, d := range []string{"null", "zero", "random", "urandom", "full", "shm"} {
		if !slices.Contains(v.Dev, d) {
			t.Errorf("/dev lacks %s: %v", d, v.Dev)
		}
	}
	if v.Urandom != 8 {
		t.Errorf("/dev/urandom gave %d bytes", v.Urandom)
	}
	if v.Write != float64(30) { // EROFS
		t.Errorf("writing /x: %v, want EROFS (30)", v.Write)
	}
	// Only the minimal root's mounts are there (a bind's source path, the
	// 4th field, still names where its files come from).
	allowedMounts := []string{"/", "/usr", "/tmp", "/dev/shm", "/proc", "/var/task", "/var/runtime"}
	for _, l := range strings.Split(strings.TrimSpace(v.Mounts), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 || !slices.Contains(allowedMounts, f[4]) && !strings.HasPrefix(f[4], "/etc/") && !strings.HasPrefix(f[4], "/lib") {
			t.Errorf("mountinfo lists a mount outside the minimal root: %q", l)
		}
	}
}

// TestHostRootFallback: where no minimal root can be built the instance
// sees the host's root read-only, with the hidden dirs covered (as before
// minimal roots), and New said so in a warning.
func TestHostRootFallback(t *testing.T) {
	data := t.TempDir()
	s, err := New(Config{HideDirs: []string{data}, ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Enforced() {
		t.Skip(s.Report())
	}
	if s.root != nil { // as New leaves it when the host cannot build one
		s.root.close()
		s.root = nil
	}
	secret := filepath.Join(data, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := seeRoot(t, s, "", secret, "/usr/bin")
	if v.Exists[secret] || !v.Exists["/usr/bin"] {
		t.Errorf("host view: %v", v.Exists)
	}
	if v.Write != float64(30) {
		t.Errorf("writing /x: %v, want EROFS (30)", v.Write)
	}
}

// TestRefreshEtc: a host /etc file that changes, appears or goes away
// reaches the template's /etc at the next look (at most once a second);
// a file outside the list never does.
func TestRefreshEtc(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(out, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(out, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	p := &rootPlan{etcDir: src, etc: map[string]*etcFile{}, rw: fd}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	look := func(want map[string]string) {
		t.Helper()
		p.checked = time.Time{} // the next look is due
		if err := p.refreshEtc(); err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(filepath.Join(out, "etc"))
		got := map[string]string{}
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(out, "etc", e.Name()))
			got[e.Name()] = string(b)
			if fi, _ := e.Info(); fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: mode %v, want 0644", e.Name(), fi.Mode())
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("template /etc %v, want %v", got, want)
		}
	}
	write("hosts", "127.0.0.1 a\n")
	write("shadow", "secret\n")
	look(map[string]string{"hosts": "127.0.0.1 a\n"})
	write("hosts", "127.0.0.1 a b\n")
	write("resolv.conf", "nameserver 10.0.0.1\n")
	look(map[string]string{"hosts": "127.0.0.1 a b\n", "resolv.conf": "nameserver 10.0.0.1\n"})
	if err := os.Remove(filepath.Join(src, "hosts")); err != nil {
		t.Fatal(err)
	}
	look(map[string]string{"resolv.conf": "nameserver 10.0.0.1\n"})
}
