package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// forkbomb starts `sleep 60` children until the kernel refuses.
func forkbomb(n int) map[string]any {
	spawned := 0
	var err error
	for spawned < n {
		c := exec.Command("/bin/sleep", "60")
		if err = c.Start(); err != nil {
			break
		}
		spawned++
	}
	out := map[string]any{"spawned": spawned}
	if err != nil {
		out["err"] = err.Error()
	}
	return out
}

// spin keeps GOMAXPROCS goroutines busy for ms, or forever when ms is 0.
func spin(ms int) {
	end := time.Now().Add(time.Duration(ms) * time.Millisecond)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			x := 0
			for ms == 0 || time.Now().Before(end) {
				for i := range 100000 {
					x += i
				}
			}
			_ = x
		})
	}
	wg.Wait()
}

func fillTmp(maxMB int) map[string]any {
	f, err := os.Create("/tmp/fill")
	if err != nil {
		return map[string]any{"err": err.Error()}
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	written := 0
	for written < maxMB<<20 {
		var n int
		n, err = f.Write(buf)
		written += n
		if err != nil {
			break
		}
	}
	out := map[string]any{"written": written}
	if err != nil {
		out["err"] = err.Error()
	}
	return out
}

// probe tries to get out: read and write Paths, signal and ptrace Pid, GET
// URL, and reports its own identity.
func probe(ev event) map[string]string {
	out := map[string]string{}
	for _, p := range ev.Paths {
		if b, err := os.ReadFile(p); err == nil {
			out["read "+p] = "READ: " + string(b[:min(len(b), 64)])
		} else {
			out["read "+p] = errText(err)
		}
		if err := os.WriteFile(p+".probe", []byte("x"), 0o644); err == nil {
			out["write "+p] = "WROTE"
		} else {
			out["write "+p] = errText(err)
		}
	}
	if ev.Pid > 0 {
		out["kill"] = errText(syscall.Kill(ev.Pid, syscall.SIGTERM))
		out["ptrace"] = errText(ptraceAttach(ev.Pid))
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", ev.Pid)); err == nil {
			out["environ"] = "READ: " + string(b[:min(len(b), 64)])
		} else {
			out["environ"] = errText(err)
		}
	}
	if ev.URL != "" {
		c := http.Client{Timeout: time.Second}
		if resp, err := c.Get(ev.URL); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out["get"] = fmt.Sprintf("status %d %s", resp.StatusCode, b[:min(len(b), 64)])
		} else {
			out["get"] = errText(err)
		}
	}
	if ev.Tag != "" { // a TCP address, e.g. the store's
		if c, err := net.DialTimeout("tcp", ev.Tag, time.Second); err == nil {
			c.Close()
			out["dial"] = "CONNECTED"
		} else {
			out["dial"] = errText(err)
		}
	}
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		for _, k := range []string{"Uid:", "CapEff:", "CapBnd:", "NoNewPrivs:"} {
			if strings.HasPrefix(l, k) {
				out[strings.TrimSuffix(k, ":")] = strings.Join(strings.Fields(strings.TrimPrefix(l, k)), " ")
			}
		}
	}
	ents, _ := os.ReadDir("/proc")
	procs := 0
	for _, e := range ents {
		if e.Name()[0] >= '0' && e.Name()[0] <= '9' {
			procs++
		}
	}
	out["procs"] = fmt.Sprint(procs)
	host, _ := os.Hostname()
	out["hostname"] = host
	out["pid"] = fmt.Sprint(os.Getpid())
	return out
}

func ptraceAttach(pid int) error {
	_, _, e := syscall.Syscall6(syscall.SYS_PTRACE, syscall.PTRACE_ATTACH, uintptr(pid), 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	syscall.Syscall6(syscall.SYS_PTRACE, syscall.PTRACE_DETACH, uintptr(pid), 0, 0, 0, 0)
	return nil
}

// errText is "OK" for nil, else the error's errno name where there is one.
func errText(err error) string {
	if err == nil {
		return "OK"
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return "ERR " + en.Error()
	}
	return "ERR " + err.Error()
}
