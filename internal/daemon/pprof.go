package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// startPprof serves Go's profiles on a loopback address, for profiling the
// platform under load (`updraft serve --pprof 127.0.0.1:6060`).
func (d *Daemon) startPprof(addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	d.onClose(func(context.Context) error { err := srv.Close(); <-done; return err })
	d.log.Info("pprof enabled", "addr", ln.Addr().String())
	return nil
}
