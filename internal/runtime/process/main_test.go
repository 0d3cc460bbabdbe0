package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/runtime"
)

// Code directories of the test functions, built once by TestMain.
var (
	helloDir  string // examples/hello-go
	behaveDir string // testdata/behave
	plainDir  string // testdata/plainhttp, the benchmarks' baseline
	rawDir    string // testdata/rawclient, a minimal Runtime API client
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := buildFunctions(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// buildFunctions builds the Go test functions, in parallel, each as the
// bootstrap of its own code dir.
func buildFunctions(tmp string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	helloDir = filepath.Join(tmp, "hello-go")
	behaveDir = filepath.Join(tmp, "behave")
	plainDir = filepath.Join(tmp, "plainhttp")
	rawDir = filepath.Join(tmp, "rawclient")
	pkgs := map[string]string{
		helloDir:  "./examples/hello-go",
		behaveDir: "./internal/runtime/process/testdata/behave",
		plainDir:  "./internal/runtime/process/testdata/plainhttp",
		rawDir:    "./internal/runtime/process/testdata/rawclient",
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(pkgs))
	for dir, pkg := range pkgs {
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// newRuntime starts a Runtime closed at the end of the test.
func newRuntime(t testing.TB) *Runtime {
	t.Helper()
	return newRuntimeWith(t, Config{})
}

// newRuntimeWith starts a Runtime with cfg (a temporary RuntimeDir and a 5 s
// init timeout unless set), closed at the end of the test.
func newRuntimeWith(t testing.TB, cfg Config) *Runtime {
	t.Helper()
	if cfg.RuntimeDir == "" {
		cfg.RuntimeDir = t.TempDir()
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = 5 * time.Second
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Errorf("runtime close: %v", err)
		}
	})
	return r
}

func goSpec(dir string) runtime.Spec {
	return runtime.Spec{
		Tenant: "t1", Function: filepath.Base(dir), Version: fn.LatestVersion,
		ARN: fn.ARN("t1", filepath.Base(dir), ""), Runtime: fn.RuntimeProvided,
		CodeDir: dir, MemoryMB: 128, Timeout: 3 * time.Second,
	}
}

// start starts an instance, closed at the end of the test.
func start(t testing.TB, r *Runtime, spec runtime.Spec) *instance {
	t.Helper()
	inst, err := r.NewInstance(context.Background(), spec)
	if err != nil {
		t.Fatalf("NewInstance: %v", err)
	}
	t.Cleanup(func() { inst.Close(context.Background()) })
	return inst.(*instance)
}

var reqSeq struct {
	sync.Mutex
	n int
}

func newRequest(payload string, timeout time.Duration) *runtime.Request {
	reqSeq.Lock()
	reqSeq.n++
	n := reqSeq.n
	reqSeq.Unlock()
	return &runtime.Request{
		ID:       fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Payload:  []byte(payload),
		Deadline: time.Now().Add(timeout),
	}
}

// invoke runs one call and fails the test on a platform error.
func invoke(t testing.TB, inst *instance, payload string) (*runtime.Request, *runtime.Response) {
	t.Helper()
	req := newRequest(payload, inst.spec.Timeout)
	resp, err := inst.Invoke(context.Background(), req)
	if err != nil {
		t.Fatalf("Invoke %s: %v", payload, err)
	}
	return req, resp
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// procState is the state letter of pid ("R", "S", "Z", …), "" once gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// waitGone waits until pid is no longer running (gone, or a zombie of
// another parent when it is not our child).
func waitGone(t testing.TB, pid int, allowZombie bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		st := procState(pid)
		if st == "" || (allowZombie && st == "Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still there, state %q", pid, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func asInitError(t testing.TB, err error) *runtime.InitError {
	t.Helper()
	var ie *runtime.InitError
	if !errors.As(err, &ie) {
		t.Fatalf("want *runtime.InitError, got %T %v", err, err)
	}
	return ie
}
