package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of `updraft serve`.
type Config struct {
	DataDir      string        // all state: JetStream files, code cache, admin key
	Listen       string        // HTTP API address
	KeepAlive    time.Duration // idle instances stop after this long
	MaxInstances int           // per function version; 0: no cap of its own
	// FunctionMemoryMB is the host's memory for function instances: the
	// memory sizes of all instances together stay within it. 0 at
	// Validate: 80% of the machine's RAM less PlatformReserveMB.
	FunctionMemoryMB int
	// MinFreeMB is the disk space kept free under the data dir: below it
	// deploys are refused (507) so that queues and metering keep working
	// longest; a store stopped by a full disk resumes once this much is
	// free. 0: 64.
	MinFreeMB       int
	ShutdownTimeout time.Duration // bound on in-flight calls at shutdown
	LogMaxAge       time.Duration // log retention: older lines are discarded
	LogMaxBytes     int64         // log retention by size: beyond it the oldest lines go
	UsageMaxBytes   int64         // usage (billing) records kept, by size: beyond it the oldest go
	// CodeGrace keeps code objects that no function or version references
	// for this long after they were stored before they are deleted.
	CodeGrace   time.Duration
	PprofListen string // optional /debug/pprof address, loopback only
	// TenantConcurrency is each tenant's limit of calls in flight.
	TenantConcurrency int
	// ThrottleWait bounds a sync call's wait for room (a concurrency slot
	// and host capacity) before 429; 0: none. Async sources never wait
	// (they retry).
	ThrottleWait time.Duration
	// KeepAlivePolicy is "" or "fixed" (KeepAlive), "fixed:DURATION" or
	// "adaptive" (hybrid histogram, KeepAlive as its fallback).
	KeepAlivePolicy string
	// IdleBudgetMB caps the memory of idle instances (0: no cap).
	IdleBudgetMB int
	// StemCells is how many Python and how many Node interpreters are kept
	// started, waiting for a function, so that their cold starts skip the
	// interpreter's start-up (0: none).
	StemCells int
	NoSandbox bool // run functions as plain processes: no limits, no isolation
	// InstanceNetwork is InstanceNetworkIsolated (each instance in a
	// network namespace of its own: the outside world through NAT, nothing
	// of the host but the platform's endpoint, no other instance) or
	// InstanceNetworkHost (the host's network, its loopback services
	// included).
	InstanceNetwork string
	// HeaderTimeout bounds the arrival of a request's headers.
	HeaderTimeout time.Duration
	// BodyGrace and BodyMinRate (bytes per second) bound the arrival of a
	// request's body: after BodyGrace it must keep up BodyMinRate, or it
	// gets 408 and its connection is closed.
	BodyGrace   time.Duration
	BodyMinRate int64
	// MaxConnsPerIP caps the connections one client address (an IPv6
	// /64) holds at once; 0: no cap.
	MaxConnsPerIP int
	// RoutesListen is the HTTP API routes' address ("" or "off": none);
	// RoutesDomain the base domain naming tenants' APIs
	// (TENANT.<RoutesDomain>). When the default address is taken the
	// server starts without the routes listener and says so.
	RoutesListen string
	RoutesDomain string
	// AllowDegraded starts on a store the start check found damaged,
	// logging and accepting the losses, instead of refusing to start.
	AllowDegraded bool
	// SMTPListen is the inbound mail (SMTP) address; "" (the default):
	// no SMTP server. SMTPTLSCert and SMTPTLSKey (PEM files) enable
	// STARTTLS; SMTPMaxBytes is the largest message accepted.
	SMTPListen              string
	SMTPTLSCert, SMTPTLSKey string
	SMTPMaxBytes            int64
	Observability           // metrics, platform logs, tracing (observability.go)
	// PriceTable is a JSON or YAML file of prices for GET /v1/billing
	// (internal/billing.Prices); "" or fields it leaves out: AWS Lambda's
	// public prices (docs/BILLING.md).
	PriceTable string
}

// DefaultRoutesListen is the routes listener's default address.
const DefaultRoutesListen = "127.0.0.1:8088"

// Instance networks (Config.InstanceNetwork).
const (
	InstanceNetworkIsolated = "isolated"
	InstanceNetworkHost     = "host"
)

// Default returns the embedded single-machine defaults.
func Default() Config {
	return Config{
		DataDir:         "./updraft-data",
		Listen:          "127.0.0.1:8080",
		KeepAlive:       10 * time.Minute,
		ShutdownTimeout: 30 * time.Second,
		LogMaxAge:       7 * 24 * time.Hour,
		LogMaxBytes:     1 << 30,
		UsageMaxBytes:   10 << 30,
		CodeGrace:       10 * time.Minute,

		TenantConcurrency: 1000,
		ThrottleWait:      300 * time.Millisecond,
		StemCells:         2,
		KeepAlivePolicy:   "fixed",
		InstanceNetwork:   InstanceNetworkIsolated,

		HeaderTimeout: 10 * time.Second,
		BodyGrace:     10 * time.Second,
		BodyMinRate:   4 << 10,
		MaxConnsPerIP: 256,

		RoutesListen: DefaultRoutesListen,
		RoutesDomain: "localhost",
		SMTPMaxBytes: 10 << 20,
	}
}

// FromEnv applies UPDRAFT_* environment variables over c.
func (c Config) FromEnv(getenv func(string) string) Config {
	if v := getenv("UPDRAFT_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := getenv("UPDRAFT_LISTEN"); v != "" {
		c.Listen = v
	}
	return c
}

// Validate checks c and makes paths absolute.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("config: data dir is empty: set --data-dir or UPDRAFT_DATA_DIR")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("config: data dir %q: %w", c.DataDir, err)
	}
	c.DataDir = abs
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("config: listen address %q is not host:port: %w", c.Listen, err)
	}
	if c.RoutesListen != "" && c.RoutesListen != "off" {
		if _, _, err := net.SplitHostPort(c.RoutesListen); err != nil {
			return fmt.Errorf("config: routes listen address %q is not host:port (or off): %w", c.RoutesListen, err)
		}
	}
	if c.PprofListen != "" {
		host, _, err := net.SplitHostPort(c.PprofListen)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("config: pprof address %q must be a loopback host:port, e.g. 127.0.0.1:6060", c.PprofListen)
		}
	}
	if c.KeepAlive <= 0 {
		return fmt.Errorf("config: keep-alive %v must be positive", c.KeepAlive)
	}
	if c.MaxInstances < 0 {
		return fmt.Errorf("config: max instances %d must not be negative (0: no cap)", c.MaxInstances)
	}
	if c.MinFreeMB < 0 {
		return fmt.Errorf("config: min free %d MB must not be negative (0: 64)", c.MinFreeMB)
	}
	if c.FunctionMemoryMB < 0 {
		return fmt.Errorf("config: function memory %d MB must not be negative (0: derived from the machine's RAM)", c.FunctionMemoryMB)
	}
	if c.FunctionMemoryMB == 0 {
		mb, err := DefaultFunctionMemoryMB()
		if err != nil {
			return fmt.Errorf("config: %w; set --function-memory-mb", err)
		}
		c.FunctionMemoryMB = mb
	}
	if c.KeepAlivePolicy == "" {
		c.KeepAlivePolicy = "fixed"
	}
	if c.TenantConcurrency < 1 {
		return fmt.Errorf("config: tenant concurrency %d must be at least 1", c.TenantConcurrency)
	}
	if p := c.KeepAlivePolicy; p != "fixed" && p != "adaptive" {
		d, err := time.ParseDuration(strings.TrimPrefix(p, "fixed:"))
		if !strings.HasPrefix(p, "fixed:") || err != nil || d <= 0 {
			return fmt.Errorf("config: keep-alive policy %q: use fixed:DURATION (e.g. fixed:10m) or adaptive", p)
		}
	}
	switch c.InstanceNetwork {
	case "":
		c.InstanceNetwork = InstanceNetworkIsolated
	case InstanceNetworkIsolated, InstanceNetworkHost:
	default:
		return fmt.Errorf("config: instance network %q: use %s or %s", c.InstanceNetwork, InstanceNetworkIsolated, InstanceNetworkHost)
	}
	if c.StemCells < 0 {
		return fmt.Errorf("config: stem cells %d must not be negative", c.StemCells)
	}
	if c.IdleBudgetMB < 0 {
		return fmt.Errorf("config: idle budget %d MB must not be negative", c.IdleBudgetMB)
	}
	if c.ThrottleWait < 0 {
		return fmt.Errorf("config: throttle wait %v must not be negative", c.ThrottleWait)
	}
	if c.LogMaxAge <= 0 || c.LogMaxBytes <= 0 || c.UsageMaxBytes <= 0 {
		return fmt.Errorf("config: log max age %v, log max bytes %d and usage max bytes %d must be positive", c.LogMaxAge, c.LogMaxBytes, c.UsageMaxBytes)
	}
	if c.CodeGrace <= 0 {
		return fmt.Errorf("config: code grace %v must be positive (e.g. 10m)", c.CodeGrace)
	}
	if c.HeaderTimeout <= 0 {
		return fmt.Errorf("config: header timeout %v must be positive", c.HeaderTimeout)
	}
	if c.BodyGrace <= 0 {
		return fmt.Errorf("config: body grace %v must be positive", c.BodyGrace)
	}
	if c.BodyMinRate <= 0 {
		return fmt.Errorf("config: body minimum rate %d bytes/s must be positive (e.g. --body-min-rate 4 for 4 KB/s)", c.BodyMinRate)
	}
	if c.MaxConnsPerIP < 0 {
		return fmt.Errorf("config: max connections per IP %d must not be negative (0: no cap)", c.MaxConnsPerIP)
	}
	if c.SMTPListen != "" {
		if _, _, err := net.SplitHostPort(c.SMTPListen); err != nil {
			return fmt.Errorf("config: SMTP address %q is not host:port (e.g. 127.0.0.1:2525): %w", c.SMTPListen, err)
		}
	}
	if (c.SMTPTLSCert == "") != (c.SMTPTLSKey == "") {
		return fmt.Errorf("config: STARTTLS needs both --smtp-tls-cert and --smtp-tls-key")
	}
	if c.PriceTable != "" {
		if st, err := os.Stat(c.PriceTable); err != nil || st.IsDir() {
			return fmt.Errorf("config: price table %q is not a readable file (JSON or YAML; see docs/BILLING.md)", c.PriceTable)
		}
	}
	if c.SMTPMaxBytes <= 0 {
		return fmt.Errorf("config: SMTP max bytes %d must be positive (default 10485760)", c.SMTPMaxBytes)
	}
	if err := c.Observability.validate(); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	return nil
}

// Paths under the data dir.
func (c Config) StoreDir() string   { return filepath.Join(c.DataDir, "jetstream") }
func (c Config) CodeDir() string    { return filepath.Join(c.DataDir, "code") }
func (c Config) RuntimeDir() string { return filepath.Join(c.DataDir, "runtimes") }

// StemDir holds the task roots of stem instances (mount points).
func (c Config) StemDir() string      { return filepath.Join(c.DataDir, "stems") }
func (c Config) AdminKeyPath() string { return filepath.Join(c.DataDir, "admin.key") }

// MasterKeyPath is the file whose key seals access key secrets at rest.
func (c Config) MasterKeyPath() string { return filepath.Join(c.DataDir, "master.key") }

// ScratchDir holds the (unnamed) disk images of instances' /tmp.
func (c Config) ScratchDir() string { return filepath.Join(c.DataDir, "scratch") }

// AdminCredentialsPath holds the admin's access key pair in the AWS shared
// credentials format.
func (c Config) AdminCredentialsPath() string { return filepath.Join(c.DataDir, "admin.credentials") }

// PlatformReserveMB is the memory kept for the platform itself (the serve
// process, the embedded NATS server, stem cells) when the host's memory for
// functions is derived from the machine's RAM.
const PlatformReserveMB = 512

// DefaultFunctionMemoryMB is 80% of the machine's RAM (MemTotal in
// /proc/meminfo) less PlatformReserveMB, at least 128 MB.
func DefaultFunctionMemoryMB() (int, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("cannot read the machine's memory size: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.Atoi(f[0])
			if err != nil {
				break
			}
			return max(kb/1024*8/10-PlatformReserveMB, 128), nil
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}
