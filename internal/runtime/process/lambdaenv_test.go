package process

// Lambda's execution environment facts: code at /var/task, the runtime
// client at /var/runtime, /tmp on disk and apart from memory.

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

const pathsPy = `import os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    return {"file": __file__, "root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd(),
            "runtime": os.environ["LAMBDA_RUNTIME_DIR"]}
`

const pathsJS = `exports.handler = async (event) => {
  if (event.fail) throw new Error('boom');
  return { file: __filename, root: process.env.LAMBDA_TASK_ROOT, cwd: process.cwd(),
    runtime: process.env.LAMBDA_RUNTIME_DIR };
};
`

// TestLambdaPaths: in the sandbox a Python or Node function, started fresh
// or from a stem, finds its code at /var/task (__file__, __filename,
// LAMBDA_TASK_ROOT, its cwd) and its runtime client at /var/runtime, and
// its stack traces show /var/task; the platform's paths show nowhere.
// Without a sandbox (serve --no-sandbox) the real paths are used.
func TestLambdaPaths(t *testing.T) {
	for _, mode := range []string{"fresh", "stem", "no sandbox"} {
		t.Run(mode, func(t *testing.T) {
			var r *Runtime
			switch mode {
			case "fresh":
				r, _ = newSandboxed(t, sandbox.Config{})
			case "stem":
				data := t.TempDir()
				sb := newTestSandbox(t, sandbox.Config{HideDirs: []string{data}, StemDir: filepath.Join(data, "stems")})
				r = newRuntimeWith(t, Config{Sandbox: sb, StemCells: 1})
			default:
				r = newRuntime(t)
			}
			for _, tc := range []struct{ rt, interp, file, src string }{
				{fn.RuntimePython, "python3", "app.py", pathsPy},
				{fn.RuntimeNode, "node", "index.js", pathsJS},
			} {
				t.Run(tc.rt, func(t *testing.T) {
					needInterpreter(t, tc.interp)
					if mode == "stem" {
						awaitStem(t, r, tc.rt)
					}
					dir := langDir(t, map[string]string{tc.file: tc.src})
					inst := start(t, r, langSpec(dir, tc.rt, strings.TrimSuffix(tc.file, filepath.Ext(tc.file))+".handler"))
					if (inst.assign != nil) != (mode == "stem") {
						t.Fatalf("started from a stem: %v, want %v", inst.assign != nil, mode == "stem")
					}
					root, runtimeDir := sandbox.TaskRoot, sandbox.RuntimeRoot
					if mode == "no sandbox" {
						root, runtimeDir = dir, r.cfg.RuntimeDir
					}
					_, resp := invoke(t, inst, `{}`)
					got := decode[map[string]string](t, resp.Payload)
					want := map[string]string{"file": filepath.Join(root, tc.file), "root": root, "cwd": root, "runtime": runtimeDir}
					for k, v := range want {
						if got[k] != v {
							t.Errorf("%s: %q, want %q", k, got[k], v)
						}
					}
					_, resp = invoke(t, inst, `{"fail":true}`)
					// Lambda's Python runtime reports stackTrace, its Node one trace.
					e := decode[struct{ StackTrace, Trace []string }](t, resp.Payload)
					trace := strings.Join(append(e.StackTrace, e.Trace...), "\n")
					if !strings.Contains(trace, filepath.Join(root, tc.file)) {
						t.Errorf("stack trace does not show %s:\n%s", filepath.Join(root, tc.file), trace)
					}
					if mode != "no sandbox" && (strings.Contains(trace, dir) || strings.Contains(string(resp.Logs), dir)) {
						t.Errorf("the platform's code path %s shows:\n%s\n%s", dir, trace, resp.Logs)
					}
				})
			}
		})
	}
}

const tmpPy = `import os

def handler(event, context):
    chunk = b"x" * (1 << 20)
    fd = os.open("/tmp/" + event["name"], os.O_WRONLY | os.O_CREAT, 0o600)
    written = 0
    try:
        for _ in range(event["mb"]):
            os.write(fd, chunk)
            written += 1
    except OSError as e:
        return {"written": written, "errno": e.errno}
    finally:
        os.close(fd)
    st = os.statvfs("/tmp")
    return {"written": written, "errno": 0, "size": st.f_blocks * st.f_frsize >> 20}
`

// TestTmpIsNotMemory: a 128 MB Python function writes 200 MB to /tmp and
// is not OOM-killed; past its ephemeral storage a write fails with ENOSPC
// (errno 28), reported by the function, as on Lambda.
func TestTmpIsNotMemory(t *testing.T) {
	needInterpreter(t, "python3")
	r, _ := newSandboxed(t, sandbox.Config{TmpMB: 256})
	spec := langSpec(langDir(t, map[string]string{"app.py": tmpPy}), fn.RuntimePython, "app.handler")
	spec.MemoryMB, spec.EphemeralMB, spec.Timeout = 128, 256, 20e9
	inst := start(t, r, spec)
	type result struct{ Written, Errno, Size int }
	_, resp := invoke(t, inst, `{"name":"a","mb":200}`)
	if resp.Outcome != fn.OutcomeSuccess || inst.box.OOMKilled() {
		t.Fatalf("200 MB into /tmp of a 128 MB function: %s %s (OOM-killed: %v)", resp.Outcome, resp.Payload, inst.box.OOMKilled())
	}
	if got := decode[result](t, resp.Payload); got.Written != 200 || got.Errno != 0 || got.Size < 256 || got.Size > 260 {
		t.Fatalf("200 MB into /tmp: %+v, want all written to a 256 MB /tmp", got)
	}
	_, resp = invoke(t, inst, `{"name":"b","mb":100}`)
	got := decode[result](t, resp.Payload)
	if resp.Outcome != fn.OutcomeSuccess || got.Errno != 28 {
		t.Fatalf("past its ephemeral storage: %s %s, want errno 28 (ENOSPC)", resp.Outcome, resp.Payload)
	}
	if total := 200 + got.Written; total < 250 || total > 256 {
		t.Errorf("ENOSPC after %d MB in all, want about 256", total)
	}
	if resp.MaxMemoryMB > 128 {
		t.Errorf("Max Memory Used %d MB", resp.MaxMemoryMB)
	}
}
