package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
)

// reports counts what reporter functions ran, from outside the platform.
type reports struct {
	mu      sync.Mutex
	started map[string]int
	done    map[string]int
	seen    chan string
}

func newReports(t *testing.T) (*reports, string) {
	r := &reports{started: map[string]int{}, done: map[string]int{}, seen: make(chan string, 100_000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		what, id, _ := strings.Cut(string(b), " ")
		r.mu.Lock()
		if what == "start" {
			r.started[id]++
		} else {
			r.done[id]++
		}
		r.mu.Unlock()
		select {
		case r.seen <- string(b):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// waitDone waits until every id has a "done" report, or fails after d.
func (r *reports) waitDone(t *testing.T, ids []string, d time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	for {
		r.mu.Lock()
		missing := 0
		for _, id := range ids {
			if r.done[id] == 0 {
				missing++
			}
		}
		r.mu.Unlock()
		if missing == 0 {
			return time.Since(t0)
		}
		if time.Since(t0) > d {
			t.Fatalf("%d of %d acknowledged events never ran to the end within %v", missing, len(ids), d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashRig is `updraft serve` as a child process that a test can SIGKILL
// and start again on the same data.
type crashRig struct {
	t    *testing.T
	bin  string
	env  []string
	addr string
	data string
	srv  *exec.Cmd
}

func newCrashRig(t *testing.T) *crashRig {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "updraft")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	addr := freePort(t)
	env := append(os.Environ(), "UPDRAFT_LISTEN="+addr, "UPDRAFT_ENDPOINT=http://"+addr, "UPDRAFT_DATA_DIR="+data)
	r := &crashRig{t: t, bin: bin, env: env, addr: addr, data: data}
	r.start()
	return r
}

// start serves; the server stops gracefully at the end of the test, so
// it leaves no mounts behind in the test's temporary directories.
func (r *crashRig) start() {
	// The reporter functions call the test's server on 127.0.0.1: host
	// networking (isolated instances reach nothing on the host but the
	// platform's endpoint).
	srv := serve(r.t, r.bin, r.env, r.addr, "--instance-network", "host")
	r.srv = srv
	r.t.Cleanup(func() {
		if srv.ProcessState == nil {
			if err := srv.Process.Signal(os.Interrupt); err == nil {
				srv.Wait()
			}
		}
	})
}

func (r *crashRig) kill() {
	r.t.Helper()
	if err := r.srv.Process.Kill(); err != nil {
		r.t.Fatal(err)
	}
	r.srv.Wait()
	r.start()
}

func (r *crashRig) client() *apiclient.Client {
	key, err := os.ReadFile(config.Config{DataDir: r.data}.AdminKeyPath())
	if err != nil {
		r.t.Fatal(err)
	}
	return apiclient.New("http://"+r.addr, strings.TrimSpace(string(key)))
}

// deployReporter deploys testdata/reporter under each name.
func (r *crashRig) deployReporter(reportURL string, names ...string) {
	r.t.Helper()
	dir := r.t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "./internal/e2e/testdata/reporter")
	build.Dir = moduleRoot(r.t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		r.t.Fatalf("go build reporter: %v\n%s", err, out)
	}
	for _, name := range names {
		writeFunction(r.t, dir, map[string]string{"updraft.yaml": "name: " + name +
			"\nruntime: provided\nmemory: 128\ntimeout: 30\nenv:\n  REPORT_URL: " + reportURL + "\n"})
		cmd := exec.Command(r.bin, "deploy", dir)
		cmd.Env = r.env
		if out, err := cmd.CombinedOutput(); err != nil {
			r.t.Fatalf("deploy %s: %v\n%s", name, err, out)
		}
	}
}

// TestAsyncEventsSurviveSIGKILL: asynchronous invocations acknowledged
// while the server is SIGKILLed and restarted three times all run to the
// end at least once. UPDRAFT_CRASH_EVENTS sets how many (default 300;
// scripts/crash-test.sh runs 10,000).
func TestAsyncEventsSurviveSIGKILL(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox needs root")
	}
	n := crashEvents()
	rep, url := newReports(t)
	rig := newCrashRig(t)
	rig.deployReporter(url, "work")
	c := rig.client()

	acked := sendThroughKills(t, rig, n, func(ctx context.Context, id string) error {
		_, err := c.InvokeAsync(ctx, "work", []byte(`{"id":"`+id+`","ms":5}`))
		return err
	})
	took := rep.waitDone(t, acked, 3*time.Minute)
	t.Logf("%d events acknowledged across 3 SIGKILLs: all ran (the last %v after the sends ended), %d ran more than once", len(acked), took, rep.duplicates(acked))
}

// TestQueueMessagesSurviveSIGKILL: messages sent to an SQS queue with an
// event source mapping to a function, acknowledged while the server is
// SIGKILLed and restarted three times, all reach the function at least
// once. UPDRAFT_CRASH_EVENTS sets how many (default 300).
func TestQueueMessagesSurviveSIGKILL(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox needs root")
	}
	n := crashEvents()
	rep, url := newReports(t)
	rig := newCrashRig(t)
	rig.deployReporter(url, "consume")
	c := rig.client()
	ctx := context.Background()
	qurl, err := c.CreateQueue(ctx, "jobs", map[string]string{"VisibilityTimeout": "10"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMapping(ctx, apiclient.MappingInput{Queue: "jobs", Function: "consume", BatchSize: 10, MaxConcurrency: 10}); err != nil {
		t.Fatal(err)
	}
	acked := sendThroughKills(t, rig, n, func(ctx context.Context, id string) error {
		_, err := c.SendMessage(ctx, qurl, apiclient.SQSMessage{MessageBody: `{"id":"` + id + `","ms":1}`})
		return err
	})
	took := rep.waitDone(t, acked, 3*time.Minute)
	t.Logf("%d queue messages acknowledged across 3 SIGKILLs: all reached the function (the last %v after the sends ended), %d more than once",
		len(acked), took, rep.duplicates(acked))
}

// crashEvents is how many events a crash test sends: UPDRAFT_CRASH_EVENTS
// or 300 (scripts/crash-test.sh runs 10,000).
func crashEvents() int {
	if v, err := strconv.Atoi(os.Getenv("UPDRAFT_CRASH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 300
}

// duplicates counts the runs beyond the first of ids.
func (r *reports) duplicates(ids []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range ids {
		n += max(r.done[id]-1, 0)
	}
	return n
}

// sendThroughKills sends n items with send from 16 clients while the
// server is SIGKILLed and restarted three times, and returns the ids of
// those acknowledged. A send that fails (the server is down) is sent
// again: only an acknowledgement counts.
func sendThroughKills(t *testing.T, rig *crashRig, n int, send func(ctx context.Context, id string) error) []string {
	var (
		mu    sync.Mutex
		acked []string
		next  = make(chan int)
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := fmt.Sprint("e", i)
				for ctx.Err() == nil {
					if err := send(ctx, id); err == nil {
						mu.Lock()
						acked = append(acked, id)
						mu.Unlock()
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	kills := make(chan struct{})
	go func() {
		defer close(kills)
		for range 3 {
			time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
			rig.kill()
		}
	}()
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	<-kills
	if ctx.Err() != nil {
		t.Fatalf("sending %d items took over 10 minutes", n)
	}
	return acked
}

// TestAsyncInFlightAfterSIGKILL: four 3-second asynchronous calls are
// running when the server is SIGKILLed. After the restart another
// function's events run at once, and the four run again within their
// lease (30 s), not the function's 15-minute ceiling.
func TestAsyncInFlightAfterSIGKILL(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox needs root")
	}
	rep, url := newReports(t)
	rig := newCrashRig(t)
	rig.deployReporter(url, "slow", "fast")
	c := rig.client()
	ctx := context.Background()
	var slow []string
	for i := range 4 {
		id := fmt.Sprint("slow", i)
		slow = append(slow, id)
		if _, err := c.InvokeAsync(ctx, "slow", []byte(`{"id":"`+id+`","ms":3000}`)); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rep.mu.Lock()
		running := len(rep.started)
		rep.mu.Unlock()
		if running == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 4 slow calls started", running)
		}
	}
	rig.kill()
	if _, err := c.InvokeAsync(ctx, "fast", []byte(`{"id":"fast","ms":0}`)); err != nil {
		t.Fatal(err)
	}
	fast := rep.waitDone(t, []string{"fast"}, 20*time.Second)
	again := rep.waitDone(t, slow, 90*time.Second)
	t.Logf("after the restart: another function's event ran in %v; the four interrupted calls ran again within %v", fast, again)
}
