package process

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/updraft-dev/updraft/internal/fn"
)

// apiServer serves the Runtime API (api.go) on the shared listener and on
// each sandboxed instance's own listener, with fasthttp.
//
// Why not net/http: a warm call is two Runtime API requests (the event's
// GET /next and the result's POST), and net/http spent more CPU on them
// than the platform's own invoke path: a header map and a context per
// request, and a background reader goroutine started and aborted around
// every handler (docs/RATIONALE.md has the profile). fasthttp parses into
// reused buffers and runs the handler on the connection's goroutine.
type apiServer struct {
	srv *fasthttp.Server

	mu     sync.Mutex
	conns  map[net.Conn]struct{}     // open connections, closed by Close
	lns    map[net.Listener]struct{} // listeners being served, closed by Close
	closed bool
}

// idleTimeout closes a connection that sent no request for this long. A
// runtime asks for its next event right after each result, so only a
// process that stopped using its connection gets there.
const idleTimeout = 10 * time.Minute

func newAPIServer(h *apiHandler, log *slog.Logger) *apiServer {
	s := &apiServer{conns: make(map[net.Conn]struct{}), lns: make(map[net.Listener]struct{})}
	s.srv = &fasthttp.Server{
		Handler: h.serve,
		Name:    "updraft",
		// Bodies up to Lambda's response limit are read before the
		// handler runs; a larger one is streamed, so that readBody can
		// stop one byte past the limit and report it to the invoker.
		MaxRequestBodySize: fn.MaxSyncPayload,
		StreamRequestBody:  true,
		ReadBufferSize:     8 << 10, // the head: Lambda allows 8 KiB of headers
		// No read or write timeout on a request: GET /next is a long
		// poll, and a streamed response may take as long as the call.
		IdleTimeout:           idleTimeout,
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		Logger:                slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ConnState:             s.track,
	}
	return s
}

// track keeps the set of open connections for Close.
func (s *apiServer) track(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		s.mu.Lock()
		if s.closed {
			c.Close()
		} else {
			s.conns[c] = struct{}{}
		}
		s.mu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}
}

// Serve serves ln until it or the server is closed; it returns nil then.
// The server keeps its own set of listeners: fasthttp's Shutdown only
// closes those its Serve has already registered, so a Close that ran
// between a Start and its Serve goroutine would leave ln accepting forever.
func (s *apiServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	err := s.srv.Serve(ln)
	if err != nil && (errors.Is(err, net.ErrClosed) || s.isClosed()) {
		return nil
	}
	return err
}

func (s *apiServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close closes the listeners and every connection at once, as
// net/http.Server.Close does: handlers of killed instances return, and
// nothing else is worth waiting for.
func (s *apiServer) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	for ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // close the listeners, then return without waiting
	_ = s.srv.ShutdownWithContext(ctx)
	for _, c := range conns {
		c.Close()
	}
	return nil
}
