package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// newStemRuntime starts a Runtime keeping one stem per interpreted
// runtime, in a sandbox when sandboxed (skipping where the host has none).
func newStemRuntime(t *testing.T, sandboxed bool) (*Runtime, *sandbox.Sandbox) {
	t.Helper()
	var sb *sandbox.Sandbox
	if sandboxed {
		data := t.TempDir()
		stems := filepath.Join(data, "stems")
		t.Cleanup(func() { // registered first: runs after the sandbox's Close
			mi, err := os.ReadFile("/proc/self/mountinfo")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(mi), stems) {
				t.Errorf("mounts left under %s", stems)
			}
		})
		sb = newTestSandbox(t, sandbox.Config{HideDirs: []string{data}, StemDir: stems})
	}
	return newRuntimeWith(t, Config{Sandbox: sb, StemCells: 1}), sb
}

// awaitStem waits until r has a ready stem of rt.
func awaitStem(t *testing.T, r *Runtime, rt string) {
	t.Helper()
	ready := func() bool {
		for _, st := range r.Stems() {
			if st.Runtime == rt {
				return st.Ready > 0
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s stem ready after 10s: %v", rt, r.Stems())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const stemProbePy = `import os

def handler(event, context):
    root = os.environ["LAMBDA_TASK_ROOT"]
    r = {"foo": os.environ.get("FOO"), "stem": os.environ.get("_UPDRAFT_STEM"), "cwd": os.getcwd(),
         "root": root, "name": context.function_name, "mem": context.memory_limit_in_mb,
         "data": open(os.path.join(root, "data.txt")).read(),
         "mountinfo": open("/proc/self/mountinfo").read()}
    try:
        open(os.path.join(root, "w.txt"), "w").write("x")
        r["write"] = "ok"
    except OSError as e:
        r["write"] = type(e).__name__
    return r
`

const stemProbeJS = `const fs = require('fs');
const path = require('path');
exports.handler = async (event, context) => {
  const root = process.env.LAMBDA_TASK_ROOT;
  const r = { foo: process.env.FOO, stem: process.env._UPDRAFT_STEM, cwd: process.cwd(), root,
    name: context.functionName, mem: context.memoryLimitInMB,
    data: fs.readFileSync(path.join(root, 'data.txt'), 'utf8'),
    mountinfo: fs.readFileSync('/proc/self/mountinfo', 'utf8') };
  try { fs.writeFileSync(path.join(root, 'w.txt'), 'x'); r.write = 'ok'; } catch (e) { r.write = e.code; }
  return r;
};
`

type stemProbe struct {
	Foo, Stem, Cwd, Root, Name, Mem, Data, Write, Mountinfo string
}

// TestStemCells: a Python or Node cold start takes a stem, which becomes
// the function's instance with its code, environment, task root and
// limits, exactly as a fresh process would; the pool refills; a function
// whose environment changes interpreter start-up gets a fresh process.
func TestStemCells(t *testing.T) {
	for _, mode := range []string{"plain", "sandboxed"} {
		t.Run(mode, func(t *testing.T) {
			r, sb := newStemRuntime(t, mode == "sandboxed")
			for _, tc := range []struct{ rt, interp, file, src, handler string }{
				{fn.RuntimePython, "python3", "probe.py", stemProbePy, "probe.handler"},
				{fn.RuntimeNode, "node", "probe.js", stemProbeJS, "probe.handler"},
			} {
				t.Run(tc.rt, func(t *testing.T) {
					needInterpreter(t, tc.interp)
					awaitStem(t, r, tc.rt)
					spec := langSpec(langDir(t, map[string]string{tc.file: tc.src, "data.txt": "payload"}), tc.rt, tc.handler)
					spec.Env = map[string]string{"FOO": "bar"}
					inst := start(t, r, spec)
					if inst.assign == nil {
						t.Fatal("the cold start did not use the ready stem")
					}
					t.Logf("%s from a stem: Init Duration %v", tc.rt, inst.InitDuration())
					for _, st := range r.Stems() {
						if st.Runtime == tc.rt && st.Taken != 1 {
							t.Errorf("%s stems taken: %d, want 1", tc.rt, st.Taken)
						}
					}
					_, resp := invoke(t, inst, `{}`)
					if resp.ErrorType != "" {
						t.Fatalf("%s: %s", resp.ErrorType, resp.Payload)
					}
					got := decode[stemProbe](t, resp.Payload)
					if got.Foo != "bar" || got.Stem != "" || got.Name != spec.Function || got.Mem != "256" || got.Data != "payload" {
						t.Errorf("environment or code not the function's: %+v", got)
					}
					if got.Cwd != got.Root {
						t.Errorf("cwd %q, want the task root %q", got.Cwd, got.Root)
					}
					if sb != nil {
						if got.Write == "ok" {
							t.Errorf("the stem's task root is writable")
						}
						if mb, ok := inst.box.PeakMB(); !ok || mb > 256 {
							t.Errorf("peak %d MB (known %v)", mb, ok)
						}
					} else if got.Root != spec.CodeDir {
						t.Errorf("task root %q, want %q", got.Root, spec.CodeDir)
					}
					awaitStem(t, r, tc.rt) // refilled

					// Set at start-up by the interpreter: no stem.
					spec.Env = map[string]string{"PYTHONPATH": "/x", "NODE_OPTIONS": "--no-warnings"}
					fresh := start(t, r, spec)
					if fresh.assign != nil {
						t.Error("a function setting interpreter start-up variables got a stem")
					}
					_, resp = invoke(t, fresh, `{}`)
					if resp.ErrorType != "" {
						t.Fatalf("fresh: %s: %s", resp.ErrorType, resp.Payload)
					}
					// Another instance, fresh or from a stem, sees nothing
					// of the first one's code mount.
					awaitStem(t, r, tc.rt)
					other := start(t, r, langSpec(langDir(t, map[string]string{tc.file: tc.src, "data.txt": "other"}), tc.rt, tc.handler))
					_, oresp := invoke(t, other, `{}`)
					if sb != nil {
						// Every instance sees its code at /var/task; the
						// mounts' sources must not show another's.
						stemDir := mountRoot(got.Mountinfo, sandbox.TaskRoot)
						if !strings.Contains(stemDir, "stems") || got.Root != sandbox.TaskRoot {
							t.Fatalf("the stem's task root is %q, from %q; want %s", got.Root, stemDir, sandbox.TaskRoot)
						}
						for _, p := range []stemProbe{decode[stemProbe](t, resp.Payload), decode[stemProbe](t, oresp.Payload)} {
							if strings.Contains(p.Mountinfo, stemDir) {
								t.Errorf("another instance's mountinfo shows the stem's task root %s:\n%s", stemDir, p.Mountinfo)
							}
						}
						if strings.Contains(decode[stemProbe](t, oresp.Payload).Mountinfo, " "+spec.CodeDir+" ") {
							t.Errorf("another function's instance shows the first one's code %s", spec.CodeDir)
						}
					}

					// The function's init failure is reported as from a fresh process.
					awaitStem(t, r, tc.rt)
					bad := langSpec(langDir(t, map[string]string{"data.txt": "x"}), tc.rt, "missing.handler")
					_, err := r.NewInstance(context.Background(), bad)
					if ie := asInitError(t, err); ie.ErrorType != "Runtime.ImportModuleError" {
						t.Errorf("init error %s, want Runtime.ImportModuleError", ie.ErrorType)
					}
				})
			}
		})
	}
}

// TestStemDiesBeforeAssignment: a stem that dies after it was taken but
// before it read its function is the platform's failure, not the
// function's: NewInstance starts a fresh process instead.
func TestStemDiesBeforeAssignment(t *testing.T) {
	needInterpreter(t, "python3")
	r, _ := newStemRuntime(t, os.Geteuid() == 0)
	awaitStem(t, r, fn.RuntimePython)
	spec := langSpec(langDir(t, map[string]string{"app.py": "def handler(e, c):\n    return 1\n"}), fn.RuntimePython, "app.handler")
	cmd, err := r.commandFor(&spec)
	if err != nil {
		t.Fatal(err)
	}
	stem := <-r.stems[fn.RuntimePython].ready // its exit wakes the keeper
	stem.kill()
	err = stem.specialise(context.Background(), spec, cmd)
	if !errors.Is(err, errStemUnusable) {
		t.Fatalf("specialise of a dead stem: %v, want errStemUnusable", err)
	}
	// Through NewInstance: a ready stem that died meanwhile is skipped
	// (or already replaced by the keeper, which its exit woke).
	awaitStem(t, r, fn.RuntimePython)
	p := r.stems[fn.RuntimePython]
	dead := <-p.ready
	dead.kill()
	dead.awaitExited(5 * time.Second)
	select {
	case p.ready <- dead:
	default:
		dead.Close(context.Background())
	}
	inst := start(t, r, spec)
	if inst == dead {
		t.Fatal("NewInstance handed out a dead stem")
	}
	if _, resp := invoke(t, inst, `{}`); string(resp.Payload) != "1" {
		t.Fatalf("got %s", resp.Payload)
	}
}

// TestStemCloseWhileSpecialising: the runtime may close while a stem is
// being given its function (run with -race).
func TestStemCloseWhileSpecialising(t *testing.T) {
	needInterpreter(t, "python3")
	for i := range 5 {
		r, _ := newStemRuntime(t, os.Geteuid() == 0)
		awaitStem(t, r, fn.RuntimePython)
		spec := langSpec(langDir(t, map[string]string{"app.py": "def handler(e, c):\n    return 1\n"}), fn.RuntimePython, "app.handler")
		done := make(chan struct{})
		go func() {
			defer close(done)
			if inst, err := r.NewInstance(context.Background(), spec); err == nil {
				inst.Close(context.Background())
			}
		}()
		time.Sleep(time.Duration(i) * 200 * time.Microsecond)
		if err := r.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
		<-done
	}
}

// TestNoStemsWithoutStemDir: a sandbox that cannot make stems (here: no
// stem dir) means no keeper, and cold starts exec as before.
func TestNoStemsWithoutStemDir(t *testing.T) {
	needInterpreter(t, "python3")
	sb := newTestSandbox(t, sandbox.Config{})
	if sb.StemsAvailable() == nil {
		t.Fatal("stems available without a stem dir")
	}
	r := newRuntimeWith(t, Config{Sandbox: sb, StemCells: 1})
	if st := r.Stems(); len(st) != 0 {
		t.Fatalf("stems kept: %+v", st)
	}
	inst := start(t, r, langSpec(langDir(t, map[string]string{"app.py": "def handler(e, c):\n    return 1\n"}), fn.RuntimePython, "app.handler"))
	if inst.assign != nil {
		t.Fatal("a stem without a stem dir")
	}
}

// mountRoot is the root (the source path within its filesystem) of the
// first mount at mountPoint in a mountinfo text.
func mountRoot(mountinfo, mountPoint string) string {
	for _, l := range strings.Split(mountinfo, "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == mountPoint {
			return f[3]
		}
	}
	return ""
}
