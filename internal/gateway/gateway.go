package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/logs"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/router"
)

// Config tunes the HTTP front.
type Config struct {
	Listen string
	Log    *slog.Logger
}

// Gateway serves the HTTP API.
type Gateway struct {
	cfg    Config
	reg    *registry.Registry
	dep    *deploy.Deployer
	ctl    *control.Control
	router *router.Router
	async  *async.Queue // nil: InvocationType Event is refused
	mx     *metrics.Metrics
	logs   *logs.Logs
	meter  *meter.Meter

	srv  *http.Server
	ln   net.Listener
	done chan error
}

// New builds the gateway; Start listens.
func New(cfg Config, reg *registry.Registry, dep *deploy.Deployer, ctl *control.Control, rt *router.Router, q *async.Queue, l *logs.Logs, m *meter.Meter, mx *metrics.Metrics) *Gateway {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	g := &Gateway{cfg: cfg, reg: reg, dep: dep, ctl: ctl, router: rt, async: q, logs: l, meter: m, mx: mx}
	g.srv = &http.Server{
		Handler:           g.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	return g
}

// Handler is the whole HTTP API, for tests and embedding.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	auth := func(h tenantHandler) http.HandlerFunc { return g.authed(h) }
	mux.HandleFunc("POST /v1/functions", auth(g.deployFunction))
	mux.HandleFunc("GET /v1/functions", auth(g.listFunctions))
	mux.HandleFunc("GET /v1/functions/{name}", auth(g.getFunction))
	mux.HandleFunc("DELETE /v1/functions/{name}", auth(g.lambdaDeleteFunction)) // one delete for both APIs
	mux.HandleFunc("GET /v1/functions/{name}/logs", auth(g.functionLogs))
	mux.HandleFunc("GET /v1/usage", auth(g.usage))
	mux.HandleFunc("POST /v1/keys", auth(g.createKey))
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", auth(g.invoke))
	g.concurrencyRoutes(mux, auth)
	g.lambdaRoutes(mux, auth)
	return g.stamped(mux)
}

// stamped gives every reply an X-Amzn-RequestId and turns the mux's own
// plain-text 404 and 405 replies into Lambda-style JSON errors.
func (g *Gateway) stamped(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRequestID(w)
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		// Lambda answers a method its API lacks as an unknown operation;
		// the management API says which methods it allows.
		if probe.status == http.StatusMethodNotAllowed && !strings.HasPrefix(r.URL.Path, "/20") {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeError(w, g.cfg.Log, fn.Errorf(http.StatusMethodNotAllowed, fn.TypeMethodNotAllowed,
				"%s is not allowed on %s: use %s", r.Method, r.URL.Path, probe.header.Get("Allow")))
			return
		}
		writeError(w, g.cfg.Log, fn.Errorf(http.StatusNotFound, fn.TypeUnknownOperation,
			"no operation at %s %s: see docs/API.md for the endpoints", r.Method, r.URL.Path))
	})
}

// statusProbe records the status a handler would send, and nothing else.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// Start listens and serves in the background.
func (g *Gateway) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listen on %s: %w", g.cfg.Listen, err)
	}
	g.ln = ln
	g.done = make(chan error, 1)
	go func() {
		err := g.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		g.done <- err
	}()
	return nil
}

// Addr is the address the gateway listens on.
func (g *Gateway) Addr() string {
	if g.ln == nil {
		return ""
	}
	return g.ln.Addr().String()
}

// Close stops accepting, lets in-flight requests finish until ctx is done,
// then closes what is left.
func (g *Gateway) Close(ctx context.Context) error {
	if g.ln == nil {
		return nil
	}
	err := g.srv.Shutdown(ctx)
	if err != nil {
		_ = g.srv.Close()
	}
	if serr := <-g.done; serr != nil && err == nil {
		err = serr
	}
	return err
}

type tenantHandler func(w http.ResponseWriter, r *http.Request, tenant string)

// authed stamps the request id and resolves the caller to a tenant.
func (g *Gateway) authed(h tenantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant, err := g.authenticate(w, r)
		if err != nil {
			writeError(w, g.cfg.Log, err)
			return
		}
		h(w, r, tenant)
	}
}

// authenticate resolves a bearer API key or a SigV4 signature to a tenant.
func (g *Gateway) authenticate(w http.ResponseWriter, r *http.Request) (string, error) {
	authz := r.Header.Get("Authorization")
	if strings.HasPrefix(authz, sigV4Algorithm+" ") {
		return g.authSigV4(w, r)
	}
	key, ok := bearer(authz)
	if !ok {
		return "", fn.Errorf(http.StatusUnauthorized, fn.TypeUnrecognizedClient,
			"missing API key: send Authorization: Bearer <key> (the admin key is in <data-dir>/admin.key; `updraft serve` prints where) or sign the request with AWS Signature Version 4 (the admin's pair is in <data-dir>/admin.credentials)")
	}
	return g.reg.Authenticate(r.Context(), key)
}

func bearer(h string) (string, bool) {
	const p = "Bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	return strings.TrimSpace(h[len(p):]), true
}

// newRequestID returns a random UUID (version 4) string.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func setRequestID(w http.ResponseWriter) string {
	id := newRequestID()
	w.Header()["X-Amzn-Requestid"] = []string{id}
	return id
}

func requestID(w http.ResponseWriter) string { return w.Header().Get("X-Amzn-Requestid") }

// writeError maps err to Lambda's error reply.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	e := fn.AsError(err)
	kind := "User"
	if e.Status >= 500 {
		kind = "Service"
		log.Error("request failed", "type", e.Type, "err", err, "request_id", requestID(w))
	}
	h := w.Header()
	h.Set("X-Amzn-ErrorType", e.Type)
	h.Set("Content-Type", "application/json")
	if e.Status == http.StatusTooManyRequests {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	body := map[string]string{"Type": kind, "message": e.Message}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// parseSince accepts a Go duration ("10m") or an RFC 3339 time; "" is zero.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fn.InvalidParameter("since %q is neither a duration (10m, 1h30m) nor an RFC 3339 time", s)
}
