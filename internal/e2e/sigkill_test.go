package e2e

import (
	"bufio"
	"context"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSIGKILLLeavesNothing kills `updraft serve` with SIGKILL while python
// and node instances run (stem cells with code mounted, a disk-backed /tmp
// each), starts it again on the same data dir, stops it gracefully and
// checks that no mount under the data dir, no loop device over its scratch
// files and no cgroup of either platform process is left.
func TestSIGKILLLeavesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounts and loop devices need root")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary runs `updraft` when called by that name (TestMain).
	bin := filepath.Join(t.TempDir(), "updraft")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	data := filepath.Join(work, "data")
	addr := freePort(t)
	env := append(os.Environ(), "UPDRAFT_LISTEN="+addr, "UPDRAFT_ENDPOINT=http://"+addr, "UPDRAFT_DATA_DIR="+data)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("updraft %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	writeFunction(t, filepath.Join(work, "py"), map[string]string{
		"updraft.yaml": "name: py\nruntime: python3\nhandler: app.handler\n",
		"app.py":       "def handler(event, context):\n    open('/tmp/x', 'w').write('x')\n    return 'py ok'\n",
	})
	writeFunction(t, filepath.Join(work, "node"), map[string]string{
		"updraft.yaml": "name: node\nruntime: node\nhandler: index.handler\n",
		"index.js":     "exports.handler = async () => { require('fs').writeFileSync('/tmp/x', 'x'); return 'node ok'; };\n",
	})

	srv := serve(t, bin, env, addr)
	run("deploy", filepath.Join(work, "py"))
	run("deploy", filepath.Join(work, "node"))
	for _, f := range []string{"py", "node"} {
		if out := run("invoke", f); !strings.Contains(out, f+" ok") {
			t.Fatalf("invoke %s: %s", f, out)
		}
	}
	// The check sees what a running platform holds.
	pids := []int{srv.Process.Pid}
	if m, l, c := mountsUnder(t, data), loopsOver(t, data), cgroupsOf(t, pids); len(m) == 0 || len(l) == 0 || len(c) == 0 {
		t.Fatalf("a running platform shows %d mounts under the data dir, %d loop devices over it and %d cgroups: the check cannot see leftovers", len(m), len(l), len(c))
	}

	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	t.Logf("after SIGKILL: mounts under the data dir %q, loop devices %q, cgroups %q", mountsUnder(t, data), loopsOver(t, data), cgroupsOf(t, pids))

	srv = serve(t, bin, env, addr)
	pids = append(pids, srv.Process.Pid)
	if out := run("invoke", "py"); !strings.Contains(out, "py ok") {
		t.Fatalf("invoke py after the restart: %s", out)
	}
	if err := srv.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if m := mountsUnder(t, data); len(m) > 0 {
		t.Errorf("mounts left under the data dir: %q", m)
	}
	if l := loopsOver(t, data); len(l) > 0 {
		t.Errorf("loop devices left over the data dir's files: %q", l)
	}
	if c := cgroupsOf(t, pids); len(c) > 0 {
		t.Errorf("cgroups left by the two platforms: %q", c)
	}
}

func writeFunction(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// serve starts `updraft serve` and waits until it answers /healthz. The
// process is killed at the end of the test if it still runs.
func serve(t *testing.T, bin string, env []string, addr string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = env
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("updraft serve on %s not ready after 30s", addr)
	return nil
}

// mountsUnder lists the mount points in this mount namespace (the
// host's, where the platform mounts) at or under dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// cgroupsOf lists the sandbox's cgroups (updraft-<pid>-<n>) of the
// platform processes pids, in every controller's hierarchy.
func cgroupsOf(t *testing.T, pids []int) []string {
	t.Helper()
	var out []string
	root := "/sys/fs/cgroup"
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		for _, pid := range pids {
			if strings.HasPrefix(d.Name(), "updraft-"+strconv.Itoa(pid)+"-") {
				out = append(out, path)
				return filepath.SkipDir
			}
		}
		if strings.Count(path[len(root):], "/") >= 4 { // the platform's own cgroup is shallower
			return filepath.SkipDir
		}
		return nil
	})
	return out
}

// loopsOver lists the loop devices whose backing file lies under dir.
func loopsOver(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob("/sys/block/loop*/loop/backing_file")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, bf := range files {
		b, err := os.ReadFile(bf)
		if err != nil {
			continue // cleared meanwhile
		}
		if back := strings.TrimSpace(string(b)); strings.HasPrefix(back, dir+"/") {
			out = append(out, filepath.Base(filepath.Dir(filepath.Dir(bf)))+" "+back)
		}
	}
	return out
}
