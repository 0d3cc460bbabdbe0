package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/updraft-dev/updraft/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"updraft": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
			stop()
			os.Exit(code)
		},
	})
}

// moduleRoot is the repository root (this file is internal/e2e).
func moduleRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// buildGoHello builds examples/hello-go into dir/bootstrap.
func buildGoHello(t *testing.T, root, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "./examples/hello-go")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/hello-go: %v\n%s", err, out)
	}
	yaml, err := os.ReadFile(filepath.Join(root, "examples", "hello-go", "updraft.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "updraft.yaml"), yaml, 0o644); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestScenarios(t *testing.T) {
	root := moduleRoot(t)
	goHello := filepath.Join(t.TempDir(), "hello-go")
	buildGoHello(t, root, goHello)
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			addr := freePort(t)
			env.Setenv("UPDRAFT_LISTEN", addr)
			env.Setenv("UPDRAFT_ENDPOINT", "http://"+addr)
			env.Setenv("UPDRAFT_DATA_DIR", filepath.Join(env.WorkDir, "data"))
			env.Setenv("EXAMPLES", filepath.Join(root, "examples"))
			env.Setenv("GOHELLO", goHello)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "root" { // the sandbox enforces its limits only as root
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitserver":  cmdWaitServer,
			"sleep":       cmdSleep,
			"metric":      cmdMetric,
			"stackoutput": cmdStackOutput,
		},
	})
}

// waitserver waits until the server at $UPDRAFT_ENDPOINT answers /healthz.
func cmdWaitServer(ts *testscript.TestScript, neg bool, args []string) {
	url := ts.Getenv("UPDRAFT_ENDPOINT") + "/healthz"
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				// The admin key is written before the listener opens.
				key := filepath.Join(ts.Getenv("UPDRAFT_DATA_DIR"), "admin.key")
				if _, err := os.Stat(key); err != nil {
					ts.Fatalf("server is up but %s is missing: %v", key, err)
				}
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("server at %s not ready after 30s", url)
}

// sleep DURATION pauses the script (e.g. to let a background call start).
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("sleep: %v", err)
	}
	time.Sleep(d)
}

// metric REGEXP waits up to 10 s for a line of the server's /metrics that
// matches REGEXP; with ! it checks that no line matches, once.
func cmdMetric(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: metric REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	if err != nil {
		ts.Fatalf("metric: %v", err)
	}
	url := ts.Getenv("UPDRAFT_ENDPOINT") + "/metrics"
	var last []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			ts.Fatalf("metric: %v", err)
		}
		// /metrics needs a key: the admin's, from the server's data dir.
		if key, err := os.ReadFile(filepath.Join(ts.Getenv("UPDRAFT_DATA_DIR"), "admin.key")); err == nil {
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ts.Fatalf("metric: %v", err)
		}
		last, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			ts.Fatalf("metric: %v", err)
		}
		found := re.Match(last)
		if neg {
			if found {
				ts.Fatalf("metric: /metrics has a line matching %s", args[0])
			}
			return
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("metric: no line of /metrics matches %s after 10s; updraft_ lines:\n%s", args[0], updraftLines(last))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// updraftLines keeps the updraft_ samples of a /metrics page.
func updraftLines(page []byte) string {
	var out []string
	for _, l := range strings.Split(string(page), "\n") {
		if strings.HasPrefix(l, "updraft_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
