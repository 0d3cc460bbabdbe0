package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"time"
)

// ServeProxy is the of-watchdog equivalent: an httputil.ReverseProxy on
// addr in front of target, the plain server. OpenFaaS's of-watchdog in its
// HTTP mode does the same per call (a keep-alive client to the function's
// own server, the reply copied back); its client keeps up to 100 idle
// connections, which this one does too, so 16 clients never redial.
func ServeProxy(addr, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("proxy target %q: %w", target, err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 10 * time.Second}).DialContext,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       500 * time.Millisecond,
		ExpectContinueTimeout: 1500 * time.Millisecond,
	}
	return http.ListenAndServe(addr, p)
}

// startProxy execs this program as ServeProxy in front of target and
// returns once it answered through to the target.
func startProxy(ctx context.Context, self, target string) (addr string, pid int, stop func(), err error) {
	if addr, err = freeAddr(); err != nil {
		return "", 0, nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-proxy-server", addr, "-proxy-target", target)
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	if err := waitHTTP(ctx, "http://"+addr+"/", 10*time.Second); err != nil {
		stop()
		return "", 0, nil, fmt.Errorf("proxy server: %w", err)
	}
	return addr, cmd.Process.Pid, stop, nil
}
