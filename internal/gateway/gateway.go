package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/async"
	"github.com/updraft-dev/updraft/internal/billing"
	"github.com/updraft-dev/updraft/internal/control"
	"github.com/updraft-dev/updraft/internal/deploy"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/gateway/furl"
	"github.com/updraft-dev/updraft/internal/gateway/lambda"
	"github.com/updraft-dev/updraft/internal/gateway/mgmt"
	"github.com/updraft-dev/updraft/internal/gateway/wire"
	"github.com/updraft-dev/updraft/internal/httpapi"
	"github.com/updraft-dev/updraft/internal/logs"
	"github.com/updraft-dev/updraft/internal/mail"
	"github.com/updraft-dev/updraft/internal/meter"
	"github.com/updraft-dev/updraft/internal/metrics"
	"github.com/updraft-dev/updraft/internal/registry"
	"github.com/updraft-dev/updraft/internal/router"
	"github.com/updraft-dev/updraft/internal/trace"
	"github.com/updraft-dev/updraft/internal/web"
)

// Config tunes the HTTP front.
type Config struct {
	Listen string
	Log    *slog.Logger
	// HeaderTimeout bounds the arrival of a request's headers.
	HeaderTimeout time.Duration
	// BodyGrace and BodyMinRate bound a body's arrival: it must come at
	// BodyMinRate bytes per second or more once BodyGrace has passed
	// since its headers, or it gets 408 and its connection is closed.
	BodyGrace   time.Duration
	BodyMinRate int64
	// MaxConnsPerIP caps the connections one client address holds at
	// once (an IPv6 client counts by its /64); 0: no cap.
	MaxConnsPerIP int
	// Backup serves GET /v1/backup.
	Backup mgmt.BackupFunc
	// DeleteTenant serves DELETE /v1/tenants/{name}.
	DeleteTenant mgmt.TenantDeleter
	// Health reports whether the platform can take writes (nil: yes); it
	// makes /healthz and /readyz truthful. nil: always healthy.
	Health func() error
	// Mappings serves Lambda's event source mapping operations (nil: not
	// offered).
	Mappings *control.Mappings
	// Routes serves the HTTP API routes' management (nil: not offered).
	Routes *httpapi.Service
	// Mail serves /v1/mail (nil: not offered).
	Mail *mail.Service
	// Schedules serves /v1/schedules (nil: not offered).
	Schedules mgmt.Schedules
	// Stacks serves /v1/stacks (nil: not offered).
	Stacks mgmt.Stacks
	// MetricsPublic serves GET /metrics without a key (metrics.go).
	MetricsPublic bool
	// Tracer makes the spans of calls (nil: none).
	Tracer *trace.Tracer
	// Prices and Throttles serve GET /v1/billing (mgmt.Config).
	Prices    *billing.Prices
	Throttles func(tenant string) int64
}

// Gateway is the HTTP root: the listener, request ids, authentication,
// error mapping, and dispatch to the protocol adapters (lambda, mgmt, furl,
// and the AWS-compatible services mounted on the one endpoint).
type Gateway struct {
	cfg          Config
	authedRoutes []string // set by routes()
	reg          *registry.Registry
	mx           *metrics.Metrics
	lambda       *lambda.API
	mgmt         *mgmt.API
	furl         *furl.Server
	services     map[string]Service // by SigV4 service name
	targets      map[string]Service // by X-Amz-Target prefix
	rest         http.Handler       // routes()

	srv  *http.Server
	ln   net.Listener
	done chan error
}

// New builds the gateway; Start listens.
func New(cfg Config, reg *registry.Registry, dep *deploy.Deployer, ctl *control.Control, rt *router.Router, q *async.Queue, l *logs.Logs, m *meter.Meter, mx *metrics.Metrics) *Gateway {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.BodyGrace <= 0 {
		cfg.BodyGrace = DefaultBodyGrace
	}
	if cfg.BodyMinRate <= 0 {
		cfg.BodyMinRate = DefaultBodyMinRate
	}
	g := &Gateway{cfg: cfg, reg: reg, mx: mx, services: map[string]Service{}, targets: map[string]Service{}}
	g.lambda = lambda.New(lambda.Config{Log: cfg.Log, Mappings: cfg.Mappings, Tracer: cfg.Tracer}, reg, dep, ctl, rt, q)
	g.mgmt = mgmt.New(mgmt.Config{Log: cfg.Log, Backup: cfg.Backup, DeleteTenant: cfg.DeleteTenant, Mail: cfg.Mail, Schedules: cfg.Schedules, Routes: cfg.Routes,
		Prices: cfg.Prices, Throttles: cfg.Throttles, Stacks: cfg.Stacks}, reg, ctl, l, m)
	g.furl = furl.New(furl.Config{Log: cfg.Log}, reg, rt, g.authenticate)
	g.rest = g.routes()
	g.srv = &http.Server{
		Handler:           g.Handler(),
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
	return g
}

// Handler is the whole HTTP API, for tests and embedding.
func (g *Gateway) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gr := g.guardBody(w, r)
		g.serveHTTP(w, gr)
		if b, ok := gr.Body.(*slowBody); ok {
			b.finish()
		}
	})
}

// routes is the REST side: health, metrics, /v1, Lambda's API, function
// URLs.
func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	// /healthz: is the platform working (503 while its store cannot take
	// writes, e.g. its disk is full); /readyz: should it get traffic. Both
	// answer without a key.
	health := func(ok string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			if g.cfg.Health != nil {
				if err := g.cfg.Health(); err != nil {
					w.WriteHeader(http.StatusServiceUnavailable)
					_, _ = fmt.Fprintf(w, "unhealthy: %s\n", fn.AsError(err).Message)
					return
				}
			}
			_, _ = w.Write([]byte(ok + "\n"))
		}
	}
	mux.HandleFunc("GET /healthz", health("ok"))
	mux.HandleFunc("GET /readyz", health("ready"))
	if g.mx != nil {
		g.registerMetrics(mux)
	}
	// The dashboard's page and files need no key: the page asks for one.
	mux.Handle("GET "+web.Prefix, web.Handler())
	auth := wire.Auth(g.authed)
	rec := &recorder{ServeMux: mux}
	g.mgmt.Register(rec, auth)
	g.lambda.Register(rec, auth)
	g.authedRoutes = rec.patterns
	g.furl.Register(mux)
	return g.stamped(mux)
}

// recorder is a ServeMux that keeps the patterns registered on it.
type recorder struct {
	*http.ServeMux
	patterns []string
}

func (r *recorder) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.patterns = append(r.patterns, pattern)
	r.ServeMux.HandleFunc(pattern, h)
}

func (r *recorder) Handle(pattern string, h http.Handler) {
	r.patterns = append(r.patterns, pattern)
	r.ServeMux.Handle(pattern, h)
}

// AuthedRoutes lists the patterns of every REST route behind
// authentication (the management API and Lambda's), for tests that must
// cover each.
func (g *Gateway) AuthedRoutes() []string { return slices.Clone(g.authedRoutes) }

// stamped gives every reply an X-Amzn-RequestId and turns the mux's own
// plain-text 404 and 405 replies into Lambda-style JSON errors.
func (g *Gateway) stamped(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.SetRequestID(w)
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
			wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusMethodNotAllowed, fn.TypeMethodNotAllowed,
				"%s is not allowed on %s: use %s", r.Method, r.URL.Path, probe.header.Get("Allow")))
			return
		}
		wire.Error(w, g.cfg.Log, fn.Errorf(http.StatusNotFound, fn.TypeUnknownOperation,
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
	if g.cfg.MaxConnsPerIP > 0 {
		ln = newIPLimitListener(ln, g.cfg.MaxConnsPerIP, g.cfg.Log)
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

// authed resolves the caller to a tenant before h runs.
func (g *Gateway) authed(h wire.TenantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant, err := g.authenticate(w, r)
		if err != nil {
			g.authError(w, r, err)
			return
		}
		p, err := g.principal(r, tenant)
		if err != nil {
			g.authError(w, r, err)
			return
		}
		r = r.WithContext(wire.WithPrincipal(r.Context(), p))
		if err := restAuthorize(r); err != nil {
			g.authError(w, r, err)
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
	if presigned(r) {
		return g.authPresigned(r)
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
