package gateway

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
)

// What one client may hold. A slow client costs a connection, a goroutine
// and the part of its body that arrived, so each is bounded: the headers
// must arrive within HeaderTimeout (net/http's ReadHeaderTimeout), a body
// at BodyMinRate once BodyGrace has passed (slowBody), and one address may
// hold MaxConnsPerIP connections at once (ipLimitListener). Memory for a
// body grows as its bytes arrive (wire.ReadLimited), never from the
// announced Content-Length, and a request refused before its body is read
// is answered at once and its connection closed, rather than net/http
// first reading what is left of the body to keep the connection.

// Defaults of the limits, for a Config that leaves them zero.
const (
	DefaultHeaderTimeout = 10 * time.Second
	DefaultBodyGrace     = 10 * time.Second
	DefaultBodyMinRate   = 4 << 10 // bytes per second
	DefaultMaxConnsPerIP = 256
)

// slowBody is a request body that must arrive in time: by BodyGrace after
// the request's headers plus one second per BodyMinRate bytes read. Before
// each read it sets the connection's read deadline to that moment, so a
// client that sends nothing is cut off too; past it, it answers 408
// RequestTimeoutException itself, and the handler's own reply to the read
// error is dropped (the 408 announced its Content-Length).
//
// Until the body has been read to its end the reply carries Connection:
// close, so that a request answered before its body is read (401, 403,
// 404, …) is answered at once and its connection closed, instead of
// net/http reading the rest of the body first.
type slowBody struct {
	req   http.Request // the request the handler sees, with this as its Body
	body  io.ReadCloser
	w     http.ResponseWriter
	rc    *http.ResponseController
	log   *slog.Logger
	start time.Time
	grace time.Duration
	rate  int64 // bytes per second
	n     int64 // bytes read
	err   error // sticky: io.EOF or the 408
	// deadlines reports whether the connection takes read deadlines (not
	// so under httptest's recorder); without them the rate is checked
	// after each read.
	deadlines bool
}

// guardBody returns r with its body bounded by the gateway's rate limits;
// a request without a body is returned as it is.
func (g *Gateway) guardBody(w http.ResponseWriter, r *http.Request) *http.Request {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return r
	}
	b := &slowBody{req: *r, body: r.Body, w: w, rc: http.NewResponseController(w), log: g.cfg.Log, start: time.Now(),
		grace: g.cfg.BodyGrace, rate: g.cfg.BodyMinRate, deadlines: true}
	b.req.Body = b
	w.Header().Set("Connection", "close") // until the body is read to its end
	return &b.req
}

// due is when the body must have progressed past what it has sent.
func (b *slowBody) due() time.Time {
	return b.start.Add(b.grace + time.Duration(b.n*int64(time.Second)/b.rate))
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	due := b.due()
	if b.deadlines {
		// Not after the end of the body: net/http then reads the
		// connection in the background, without a deadline.
		if err := b.rc.SetReadDeadline(due); err != nil {
			b.deadlines = false
		}
	}
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.err = io.EOF
		b.w.Header().Del("Connection")
	case errors.Is(err, os.ErrDeadlineExceeded), !b.deadlines && time.Now().After(due):
		b.err = b.tooSlow()
		return n, b.err
	}
	return n, err
}

func (b *slowBody) Close() error { return b.body.Close() }

// finish runs when the handler has returned. A body not read to its end
// is not drained: net/http would read up to 256 KB of it before closing
// the connection, at the client's pace; an expired read deadline makes it
// give up at once (the reply, sent with Connection: close, is out).
func (b *slowBody) finish() {
	if b.err == io.EOF || !b.deadlines {
		return
	}
	if err := b.rc.SetReadDeadline(time.Unix(1, 0)); err != nil {
		b.log.Debug("expire the read deadline of an unread body", "err", err)
	}
}

// tooSlow answers 408 and returns the error the body's reader gets.
func (b *slowBody) tooSlow() error {
	size := "?"
	if b.req.ContentLength > 0 {
		size = strconv.FormatInt(b.req.ContentLength, 10)
	}
	e := fn.RequestTimeout("the request body arrived too slowly: %d of %s bytes in %s; after the first %s a body must arrive at %d bytes/s or more (the server's --body-min-rate): send it faster or in a smaller request",
		b.n, size, time.Since(b.start).Round(time.Millisecond), b.grace, b.rate)
	b.log.Info("request body too slow: closing the connection", "remote", b.req.RemoteAddr,
		"method", b.req.Method, "path", b.req.URL.Path, "bytes", b.n, "content_length", b.req.ContentLength,
		"request_id", wire.RequestID(b.w))
	h := b.w.Header()
	h.Set("Connection", "close")
	h.Set("X-Amzn-ErrorType", e.Type)
	// JSON announces its Content-Length: the handler's own error reply,
	// written after this one, is refused by net/http.
	wire.JSON(b.w, e.Status, map[string]string{"Type": "User", "message": e.Message, "__type": e.Type})
	if err := b.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		b.log.Debug("flush the 408 reply", "err", err)
	}
	return e
}

// ipLimitListener closes, at once, a connection from an address that
// already holds max connections. IPv6 addresses count by their /64, the
// block one host usually gets.
type ipLimitListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu    sync.Mutex
	conns map[netip.Addr]*ipConns
}

type ipConns struct {
	n      int
	warned bool // the refusal was logged since the address reached max
}

func newIPLimitListener(ln net.Listener, max int, log *slog.Logger) *ipLimitListener {
	return &ipLimitListener{Listener: ln, max: max, log: log, conns: map[netip.Addr]*ipConns{}}
}

// Accept returns the next connection within the cap.
func (l *ipLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := clientKey(c.RemoteAddr())
		if l.admit(key) {
			return &ipLimitConn{Conn: c, l: l, key: key}, nil
		}
		if err := c.Close(); err != nil {
			l.log.Debug("close a connection over the per-address cap", "remote", c.RemoteAddr(), "err", err)
		}
	}
}

func (l *ipLimitListener) admit(key netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[key]
	if c == nil {
		c = &ipConns{}
		l.conns[key] = c
	}
	if c.n < l.max {
		c.n++
		return true
	}
	if !c.warned {
		c.warned = true
		l.log.Warn("a client address holds the most connections allowed: closing its new ones",
			"client", key, "max_conns_per_ip", l.max)
	}
	return false
}

func (l *ipLimitListener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[key]
	if c == nil {
		return
	}
	c.n--
	c.warned = false
	if c.n <= 0 {
		delete(l.conns, key)
	}
}

// clientKey is the address a connection counts against.
func clientKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr().Unmap()
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.Addr{} // unix sockets and the like: one bucket
		}
		ip = ap.Addr().Unmap()
	}
	ip = ip.WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}

// ipLimitConn gives its place back when closed.
type ipLimitConn struct {
	net.Conn
	l    *ipLimitListener
	key  netip.Addr
	once sync.Once
}

func (c *ipLimitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}
