package process

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// forwarder carries the connections an instance without network makes to
// sandbox.EndpointAddr inside its namespace to the platform's endpoint on
// the host: its only way out, so its AWS SDK still reaches S3, DynamoDB,
// SQS and SNS. It lives as long as the instance.
type forwarder struct {
	ln     net.Listener
	target string // host:port of the endpoint
	log    *slog.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func startForwarder(ln net.Listener, target string, log *slog.Logger) *forwarder {
	f := &forwarder{ln: ln, target: target, log: log, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	return f
}

func (f *forwarder) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return // closed
		}
		if !f.track(c) {
			c.Close()
			return
		}
		f.wg.Add(1)
		go f.forward(c)
	}
}

// forward copies both ways between c and a new connection to the target.
func (f *forwarder) forward(c net.Conn) {
	defer f.wg.Done()
	defer f.untrack(c)
	up, err := net.DialTimeout("tcp", f.target, 5*time.Second)
	if err != nil {
		f.log.Warn("instance's connection to the platform endpoint failed", "endpoint", f.target, "err", err)
		return
	}
	if !f.track(up) {
		up.Close()
		return
	}
	defer f.untrack(up)
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		close(done)
	}()
	io.Copy(c, up)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	<-done
}

func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

// close stops accepting, cuts the connections under way and waits for
// its goroutines.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.ln.Close()
	f.wg.Wait()
}
