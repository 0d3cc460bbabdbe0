package process

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
	"github.com/updraft-dev/updraft/internal/sandbox"
)

// File names of the runtime clients under RuntimeDir.
const (
	pythonBootstrap = "bootstrap.py"
	nodeBootstrap   = "bootstrap.js"
)

// tokenLen is the length of an instance's token: 128 random bits in hex.
const tokenLen = 32

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// command is what to exec for one instance.
type command struct {
	path     string
	args     []string
	execEnv  string // AWS_EXECUTION_ENV
	provided bool   // the function's own bootstrap: exec errors are its fault
}

// commandFor resolves the executable for spec's runtime, at the paths
// the instance sees.
func (r *Runtime) commandFor(spec *runtime.Spec) (command, error) {
	switch spec.Runtime {
	case fn.RuntimeProvided, "go", "":
		p := filepath.Join(r.taskRoot(spec.CodeDir), "bootstrap")
		return command{path: p, args: []string{p}, execEnv: "AWS_Lambda_provided", provided: true}, nil
	case fn.RuntimePython:
		py, err := r.interpreter(&r.python, "python3", "install Python 3 (e.g. `apt-get install python3`) or set the interpreter path in the runtime config")
		if err != nil {
			return command{}, err
		}
		return command{path: py, args: []string{py, "-u", filepath.Join(r.runtimeRoot(), pythonBootstrap)}, execEnv: "AWS_Lambda_python3"}, nil
	case fn.RuntimeNode:
		node, err := r.interpreter(&r.node, "node", "install Node.js (e.g. `apt-get install nodejs`) or set the interpreter path in the runtime config")
		if err != nil {
			return command{}, err
		}
		args := []string{node, filepath.Join(r.runtimeRoot(), nodeBootstrap)}
		if h := nodeHeapFlag(spec); h != "" {
			args = []string{node, h, args[1]}
		}
		return command{path: node, args: args, execEnv: "AWS_Lambda_nodejs"}, nil
	}
	return command{}, fmt.Errorf("process: unknown runtime %q: use provided (alias go), python3 or node", spec.Runtime)
}

// nodeHeapFlag caps a Node instance's JavaScript heap at 80% of its
// memory, so that V8 collects garbage before the cgroup kills it: Node
// would size its heap from the cgroup's limit, but the instance's minimal
// root has no /sys, so it sees the host's memory (a 4 GB heap for a
// 128 MB function). "" when the function's NODE_OPTIONS sets the heap.
func nodeHeapFlag(spec *runtime.Spec) string {
	if strings.Contains(spec.Env["NODE_OPTIONS"], "--max-old-space-size") {
		return ""
	}
	mem := spec.MemoryMB
	if mem <= 0 {
		mem = fn.DefaultMemoryMB
	}
	return heapFlag + strconv.Itoa(mem*8/10)
}

const heapFlag = "--max-old-space-size="

// isHeapFlag reports whether a command-line argument is nodeHeapFlag's.
func isHeapFlag(arg string) bool { return strings.HasPrefix(arg, heapFlag) }

// taskRoot is where an instance sees the code in codeDir: /var/task in
// the sandbox's mount namespace, as on Lambda; codeDir itself without one
// (serve --no-sandbox).
func (r *Runtime) taskRoot(codeDir string) string {
	if sb := r.cfg.Sandbox; sb != nil && sb.Remaps() {
		return sandbox.TaskRoot
	}
	return codeDir
}

// runtimeRoot is where an instance sees the runtime clients: /var/runtime,
// or RuntimeDir without a mount namespace.
func (r *Runtime) runtimeRoot() string {
	if sb := r.cfg.Sandbox; sb != nil && sb.Remaps() {
		return sandbox.RuntimeRoot
	}
	return r.cfg.RuntimeDir
}

// sandboxSpec is what the sandbox shows spec's instance: its code, and the
// runtime clients for an interpreted runtime.
func (r *Runtime) sandboxSpec(spec *runtime.Spec, c command) sandbox.Spec {
	sp := sandbox.Spec{MemoryMB: spec.MemoryMB, TmpMB: spec.EphemeralMB, Code: spec.CodeDir,
		NoNetwork: spec.Network == fn.NetworkNone}
	if !c.provided {
		sp.Runtime = r.cfg.RuntimeDir
	}
	return sp
}

// interpreter resolves *slot once: /usr/bin/<name>, else <name> on PATH.
// A failed lookup is retried next time, so installing the interpreter
// later needs no restart.
func (r *Runtime) interpreter(slot *string, name, howto string) (string, error) {
	r.mu.RLock()
	p := *slot
	r.mu.RUnlock()
	if p != "" {
		return p, nil
	}
	p = "/usr/bin/" + name
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		lp, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("process: the %s interpreter is missing: neither /usr/bin/%s nor %s on PATH exists: %s", name, name, name, howto)
		}
		if p, err = filepath.Abs(lp); err != nil {
			return "", fmt.Errorf("process: the %s interpreter: %w", name, err)
		}
	}
	r.mu.Lock()
	*slot = p
	r.mu.Unlock()
	return p, nil
}

// environ builds an instance's complete environment. Nothing is inherited
// from the platform's own environment.
func (r *Runtime) environ(spec *runtime.Spec, cmd *command, token string) []string {
	mem := spec.MemoryMB
	if mem <= 0 {
		mem = fn.DefaultMemoryMB
	}
	version := spec.Version
	if version == "" {
		version = fn.LatestVersion
	}
	stream := time.Now().UTC().Format("2006/01/02") + "/[" + version + "]" + randomHex(16)
	env := r.baseEnv(make([]string, 0, 24+len(spec.Env)), spec.Runtime, cmd, r.apiAddr(spec)+"/"+token)
	env = append(env,
		"LAMBDA_TASK_ROOT="+r.taskRoot(spec.CodeDir),
		"_HANDLER="+spec.Handler,
		"AWS_LAMBDA_FUNCTION_NAME="+spec.Function,
		"AWS_LAMBDA_FUNCTION_VERSION="+version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(mem),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+spec.Function,
		"AWS_LAMBDA_LOG_STREAM_NAME="+stream,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION="+fn.Region,
		"AWS_DEFAULT_REGION="+fn.Region,
	)
	if a := spec.AWS; a != nil {
		endpoint := a.Endpoint
		if r.ownNetwork(spec) {
			endpoint = sandbox.EndpointAddr // forwarded by the instance (proxy.go)
		}
		env = append(env,
			"AWS_ACCESS_KEY_ID="+a.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY="+a.SecretAccessKey,
			"AWS_SESSION_TOKEN="+a.SessionToken,
			"AWS_ENDPOINT_URL=http://"+endpoint,
		)
	}
	if spec.LambdaRuntime != "" && !cmd.provided {
		// Lambda's managed runtimes name themselves: AWS_Lambda_python3.12.
		env = append(env, "AWS_EXECUTION_ENV=AWS_Lambda_"+spec.LambdaRuntime)
	}
	if cmd.provided {
		// Lambda gives a function CPU in proportion to its memory, one vCPU
		// at 1769 MB. Telling Go so (as Go does by itself under a cgroup CPU
		// limit) spares a small function the cost of waking idle Ps across
		// CPUs: a warm hello-go call takes about a third less time and half
		// the CPU. The function's own GOMAXPROCS, if set, comes later and wins.
		env = append(env, "GOMAXPROCS="+strconv.Itoa(goMaxProcs(mem)))
	}
	keys := make([]string, 0, len(spec.Env))
	for k := range spec.Env {
		// The token is the instance's only credential: never let the
		// function's configuration point it elsewhere (fn.Validate forbids
		// it too).
		if k != "AWS_LAMBDA_RUNTIME_API" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+spec.Env[k]) // os/exec keeps the last of duplicates
	}
	return env
}

// baseEnv appends what every process of runtime rt gets, a stem cell
// (stem.go) included: the platform's fixed variables, where its runtime
// client lives, and api (host:port/token) for the Runtime API.
func (r *Runtime) baseEnv(env []string, rt string, cmd *command, api string) []string {
	env = append(env,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"HOME=/tmp",
		"LAMBDA_RUNTIME_DIR="+r.runtimeRoot(),
		"AWS_LAMBDA_RUNTIME_API="+api,
		"AWS_EXECUTION_ENV="+cmd.execEnv,
	)
	if rt == fn.RuntimePython {
		env = append(env, "PYTHONUNBUFFERED=1")
	}
	return env
}

// apiAddr is where spec's instance reaches the Runtime API: the shared
// server, or a listener inside its own network namespace.
func (r *Runtime) apiAddr(spec *runtime.Spec) string {
	if r.ownNetwork(spec) {
		return sandbox.RuntimeAPIAddr
	}
	return r.Addr()
}

// ownNetwork reports whether spec's instance runs in a network namespace
// of its own, where the platform listens on sandbox.RuntimeAPIAddr and
// sandbox.EndpointAddr: without network, or isolated (the sandbox's
// default).
func (r *Runtime) ownNetwork(spec *runtime.Spec) bool {
	sb := r.cfg.Sandbox
	return spec.Network == fn.NetworkNone || sb != nil && sb.IsolatesNetwork()
}

// mbPerVCPU is the memory size at which Lambda gives a function one vCPU.
const mbPerVCPU = 1769

// goMaxProcs is the CPU count a function of memMB gets: one per started
// 1769 MB, at most the machine's.
func goMaxProcs(memMB int) int {
	return max(1, min((memMB+mbPerVCPU-1)/mbPerVCPU, goruntime.NumCPU()))
}
