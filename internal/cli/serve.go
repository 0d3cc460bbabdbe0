package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
)

func newServeCmd(a *app) *cobra.Command {
	def := config.Default()
	var (
		dataDir, listen string
		keepAlive       time.Duration
		maxInstances    int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Updraft server",
		Long: `Run the Updraft server in the foreground: the HTTP API, the function
runtimes and the store, all in this one process. Stop it with Ctrl-C; calls
in flight get time to finish before it exits.

All state lives in the data directory: deployed functions, their code, logs,
usage records and the admin API key. On the first start the server creates
the directory and writes a new admin key to admin.key inside it; the other
updraft commands read that file when run from the same directory.

At start the server checks its store (every stream against its state at
the last clean stop, every message read back, code against its digests)
and refuses to start when data was lost or damaged, naming what: run
"updraft admin check" for the full report, restore a backup or start with
what is left with --allow-degraded (the losses are logged and accepted).

Flags override the environment (UPDRAFT_DATA_DIR, UPDRAFT_LISTEN), which
overrides the defaults.`,
		Example: `  # serve on 127.0.0.1:8080 with state in ./updraft-data
  updraft serve

  # listen on all interfaces, keep idle instances for 2 minutes
  updraft serve --listen 0.0.0.0:9000 --keep-alive 2m --data-dir /var/lib/updraft

  # keep logs for 3 days and at most 200 MB of them
  updraft serve --log-max-age 72h --log-max-bytes 200000000

  # let functions reach services on this host's loopback (no network isolation)
  updraft serve --instance-network host

  # on the open internet: cut slow clients sooner, fewer connections per address
  updraft serve --listen 0.0.0.0:9000 --body-grace 5s --body-min-rate 16 --max-conns-per-ip 64

  # JSON platform logs, open /metrics, spans to an OpenTelemetry collector
  updraft serve --log-format json --metrics-public --otlp-endpoint http://127.0.0.1:4318

  # receive mail on port 25 with STARTTLS (see docs/TRIGGERS.md, mail)
  updraft serve --smtp-listen 0.0.0.0:25 --smtp-tls-cert mx.pem --smtp-tls-key mx-key.pem`,
		Args: args(),
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", def.DataDir, "directory for all state (env UPDRAFT_DATA_DIR)")
	f.StringVar(&listen, "listen", def.Listen, "HTTP API address, host:port (env UPDRAFT_LISTEN)")
	f.DurationVar(&keepAlive, "keep-alive", def.KeepAlive, "stop an instance after it has been idle this long")
	f.IntVar(&maxInstances, "max-instances", def.MaxInstances, "most instances per function version at once (0: no cap; calls are bounded by concurrency limits and --function-memory-mb)")
	minFree := f.Int("min-free-mb", 0, "disk space kept free under the data dir: below it deploys get 507 so that queues and metering keep working longest; a store stopped by a full disk resumes once this much is free (0: 64)")
	fnMemory := f.Int("function-memory-mb", 0, "memory for function instances in MB: the memory sizes of all instances together stay within it, beyond it calls get 429 (0: 80% of RAM less 512 MB for the platform)")
	var pprofAddr string
	tenantConc := f.Int("tenant-concurrency", def.TenantConcurrency, "most calls in flight per tenant (reserved concurrency is carved out of it)")
	kaPolicy := f.String("keep-alive-policy", def.KeepAlivePolicy, "fixed:DURATION (e.g. fixed:10m; default: --keep-alive) or adaptive (learn each function's idle times)")
	idleBudget := f.Int("idle-budget-mb", 0, "cap on the memory of idle instances in MB, evicting by expected benefit (0: no cap)")
	throttleWait := f.Duration("throttle-wait", def.ThrottleWait, "how long a sync call waits for room (a concurrency slot, host memory) before 429")
	stemCells := f.Int("stem-cells", def.StemCells, "Python and Node interpreters each kept started, waiting for a function, to cut their cold starts (0: none)")
	logMaxAge := f.Duration("log-max-age", def.LogMaxAge, "discard function log lines older than this")
	logMaxBytes := f.Int64("log-max-bytes", def.LogMaxBytes, "keep at most this many bytes of function logs, discarding the oldest")
	usageMaxBytes := f.Int64("usage-max-bytes", def.UsageMaxBytes, "keep at most this many bytes of usage (billing) records, discarding the oldest")
	codeGrace := f.Duration("code-grace", def.CodeGrace, "delete code no function or version references once it is older than this")
	var noSandbox bool
	f.BoolVar(&noSandbox, "no-sandbox", false, "run functions as plain processes, without limits or isolation (for benchmarks; never with untrusted code)")
	instNet := f.String("instance-network", def.InstanceNetwork, "isolated: each instance in a network namespace of its own, reaching the outside world through NAT but nothing on the host except the platform's endpoint, nor other instances; host: the host's network, loopback services included")
	headerTimeout := f.Duration("header-timeout", def.HeaderTimeout, "time a client has to send a request's headers before its connection is closed")
	bodyGrace := f.Duration("body-grace", def.BodyGrace, "time a request body may take before --body-min-rate applies")
	bodyMinRate := f.Int64("body-min-rate", def.BodyMinRate>>10, "KB/s a request body must arrive at after --body-grace; a slower one gets 408 RequestTimeoutException and its connection is closed")
	maxConnsPerIP := f.Int("max-conns-per-ip", def.MaxConnsPerIP, "most connections one client address (an IPv6 /64) may hold at once; more are closed at once (0: no cap; raise it behind a reverse proxy on this machine)")
	allowDegraded := f.Bool("allow-degraded", false, "start even when the store check finds data lost or damaged (logged and accepted); see `updraft admin check`")
	routesListen := f.String("routes-listen", def.RoutesListen, "HTTP API routes address, host:port, or off (see `updraft route --help`)")
	routesDomain := f.String("routes-domain", def.RoutesDomain, "base domain of tenants' routes: tenant T's are served at T.<domain>, the default tenant's at any other host")
	smtpListen := f.String("smtp-listen", "", "receive inbound mail over SMTP on this address, e.g. 127.0.0.1:2525 (off by default); route it with `updraft mail route add`")
	smtpCert := f.String("smtp-tls-cert", "", "PEM certificate for SMTP STARTTLS (with --smtp-tls-key)")
	smtpKey := f.String("smtp-tls-key", "", "PEM private key for SMTP STARTTLS (with --smtp-tls-cert)")
	smtpMax := f.Int64("smtp-max-bytes", def.SMTPMaxBytes, "largest inbound mail message accepted; larger ones get 552")
	metricsPublic := f.Bool("metrics-public", false, "serve GET /metrics without a key (by default it needs a key that may read: the platform's admin or read key sees all series, another tenant's key its own)")
	metricsMax := f.Int("metrics-max-series", 0, "tenant/function pairs with metric series of their own; later functions count as function=\"other\" (0: 1000)")
	logFormat := f.String("log-format", config.LogFormatText, "the platform's own log format on stderr: text or json")
	otlpEndpoint := f.String("otlp-endpoint", "", "export trace spans over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (off by default: no tracing cost)")
	priceTable := f.String("price-table", "", "JSON or YAML file of prices for bills (`updraft bill`); fields it leaves out keep AWS Lambda's public prices (docs/BILLING.md)")
	f.StringVar(&pprofAddr, "pprof", "", "serve Go's /debug/pprof profiles on this loopback address (for profiling the platform)")

	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		cfg := config.Default().FromEnv(a.getenv)
		if f.Changed("data-dir") {
			cfg.DataDir = dataDir
		}
		if f.Changed("listen") {
			cfg.Listen = listen
		}
		if f.Changed("keep-alive") {
			cfg.KeepAlive = keepAlive
		}
		if f.Changed("max-instances") {
			cfg.MaxInstances = maxInstances
		}
		cfg.FunctionMemoryMB = *fnMemory
		cfg.MinFreeMB = *minFree
		cfg.PprofListen = pprofAddr
		cfg.TenantConcurrency = *tenantConc
		cfg.ThrottleWait = *throttleWait
		cfg.KeepAlivePolicy = *kaPolicy
		cfg.IdleBudgetMB = *idleBudget
		cfg.StemCells = *stemCells
		cfg.NoSandbox = noSandbox
		cfg.InstanceNetwork = *instNet
		cfg.LogMaxAge, cfg.LogMaxBytes, cfg.UsageMaxBytes = *logMaxAge, *logMaxBytes, *usageMaxBytes
		cfg.CodeGrace = *codeGrace
		cfg.HeaderTimeout = *headerTimeout
		cfg.BodyGrace = *bodyGrace
		cfg.BodyMinRate = *bodyMinRate << 10
		cfg.MaxConnsPerIP = *maxConnsPerIP
		cfg.AllowDegraded = *allowDegraded
		cfg.RoutesListen, cfg.RoutesDomain = *routesListen, *routesDomain
		cfg.SMTPListen, cfg.SMTPTLSCert, cfg.SMTPTLSKey, cfg.SMTPMaxBytes = *smtpListen, *smtpCert, *smtpKey, *smtpMax
		cfg.MetricsPublic, cfg.MetricsMaxSeries = *metricsPublic, *metricsMax
		cfg.LogFormat, cfg.OTLPEndpoint = *logFormat, *otlpEndpoint
		cfg.PriceTable = *priceTable
		return a.serve(ctx, cfg)
	})
	return cmd
}

// serve runs the daemon until ctx ends, then shuts it down within the
// configured shutdown timeout.
func (a *app) serve(ctx context.Context, cfg config.Config) error {
	stderr := &lockedWriter{w: a.stderr} // shared by the logger and our lines
	var log *slog.Logger
	switch cfg.LogFormat {
	case "", config.LogFormatText:
		log = slog.New(slog.NewTextHandler(stderr, nil))
	case config.LogFormatJSON:
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fmt.Errorf("config: log format %q: use text or json (--log-format)", cfg.LogFormat)
	}
	d, err := daemon.New(cfg, log)
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	created := ""
	if d.AdminKeyCreated() {
		created = " (created)"
	}
	if cfg.LogFormat == config.LogFormatJSON {
		// Every line on stderr is a JSON object for log shippers.
		log.Info("updraft listening", "url", "http://"+d.Addr(), "admin_key", d.AdminKeyPath(), "admin_key_created", d.AdminKeyCreated())
	} else {
		fmt.Fprintf(stderr, "updraft listening on http://%s\nadmin API key: %s%s\n", d.Addr(), d.AdminKeyPath(), created)
	}
	if ra := d.RoutesAddr(); ra != "" {
		if cfg.LogFormat == config.LogFormatJSON {
			log.Info("HTTP API routes listening", "url", "http://"+ra)
		} else {
			fmt.Fprintf(stderr, "HTTP API routes on http://%s\n", ra)
		}
	}

	<-ctx.Done()
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = config.Default().ShutdownTimeout
	}
	log.Info("shutting down", "timeout", timeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := d.Close(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// lockedWriter serializes writes from the logger's goroutines and ours.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
