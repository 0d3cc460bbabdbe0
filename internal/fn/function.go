package fn

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Engines: what Updraft runs, stored in Function.Runtime. "provided" runs
// an executable named bootstrap that speaks the Lambda Runtime API;
// "python3" and "node" run the host's /usr/bin/python3 and /usr/bin/node
// with Updraft's runtime clients.
const (
	RuntimeProvided = "provided"
	RuntimePython   = "python3"
	RuntimeNode     = "node"
	// RuntimeWasm runs a WebAssembly module (WASI preview 1) on wazero
	// inside the platform's process; its name is the same for Lambda.
	RuntimeWasm = "wasm"
)

// Lambda runtime identifiers: what Updraft accepts and reports (Function's
// RuntimeName, GetFunction's Runtime, `updraft get`, `ls`).
const (
	RuntimePython312 = "python3.12"
	RuntimePython311 = "python3.11"
	RuntimePython310 = "python3.10"
	RuntimeNode20    = "nodejs20.x"
	RuntimeNode18    = "nodejs18.x"
	RuntimeAL2023    = "provided.al2023"
	RuntimeAL2       = "provided.al2"
)

// lambdaRuntimes maps each Lambda runtime name Updraft honours to its
// engine. A name is here only when the host's interpreter runs code written
// for it: Python 3.11 runs code for 3.10 and 3.11, Node 20 runs code for 18
// and 20. python3.12 is the one exception, kept because it is Lambda's
// default Python and what templates name: it runs on the same Python 3.11,
// so code that uses syntax new in 3.12 fails at import with a SyntaxError
// (docs/LAMBDA_COMPAT.md says so). Names of newer interpreters
// (python3.13, nodejs22.x) are refused rather than run on an older one.
var lambdaRuntimes = map[string]string{
	RuntimePython312: RuntimePython, RuntimePython311: RuntimePython, RuntimePython310: RuntimePython,
	RuntimeNode20: RuntimeNode, RuntimeNode18: RuntimeNode,
	RuntimeAL2023: RuntimeProvided, RuntimeAL2: RuntimeProvided,
	RuntimeWasm: RuntimeWasm,
}

// runtimeAliases maps short names (and retired Lambda names) to the Lambda
// name they stand for: the one that says truthfully what runs.
var runtimeAliases = map[string]string{
	"python3": RuntimePython311, "python": RuntimePython311,
	"node": RuntimeNode20, "nodejs": RuntimeNode20,
	"provided": RuntimeAL2023, "go": RuntimeAL2023, "go1.x": RuntimeAL2023,
}

// engineRuntime is the Lambda name reported for an engine when the stored
// name says nothing more (functions stored before names were kept).
var engineRuntime = map[string]string{
	RuntimePython: RuntimePython311, RuntimeNode: RuntimeNode20, RuntimeProvided: RuntimeAL2023,
	RuntimeWasm: RuntimeWasm,
}

// Limits, with the numbers AWS Lambda uses.
const (
	DefaultMemoryMB    = 128
	MinMemoryMB        = 128
	MaxMemoryMB        = 10240
	DefaultTimeoutSec  = 3
	DefaultEphemeralMB = 512
	MinEphemeralMB     = 512
	MaxEphemeralMB     = 10240
	NetworkNone        = "none" // Function.Network: no network but the Runtime API
	MinTimeoutSec      = 1
	MaxTimeoutSec      = 900
	MaxZippedBytes     = 50 << 20  // 50 MB, a direct upload's limit
	MaxUnzippedBytes   = 250 << 20 // 250 MB, the unzipped code's limit
	MaxSyncPayload     = 6 << 20   // 6 MB, request and response of a sync invoke
	MaxAsyncPayload    = 1 << 20   // 1 MB, the event of an async invoke (Lambda's limit)
	MaxEnvBytes        = 4 << 10   // 4 KB of environment variables in total
	MaxDescription     = 256
	LatestVersion      = "$LATEST"
	Region             = "local"
)

// Function is a deployed function's definition: its code (by sha256) and
// its configuration. Revision counts code/config changes of $LATEST.
type Function struct {
	Tenant     string            `json:"tenant"`
	Name       string            `json:"name"`
	Runtime    string            `json:"runtime"`
	Handler    string            `json:"handler,omitempty"`
	MemoryMB   int               `json:"memory_mb"`
	TimeoutSec int               `json:"timeout_s"`
	Env        map[string]string `json:"env,omitempty"`
	// Lambda API fields. RuntimeName is the Lambda runtime name the user
	// gave (python3.12, provided.al2023), "" when they gave a short alias;
	// Runtime is the engine Updraft runs. LambdaRuntime reports the two.
	RuntimeName        string `json:"runtime_name,omitempty"`
	Description        string `json:"description,omitempty"`
	Role               string `json:"role,omitempty"`
	EphemeralStorageMB int    `json:"ephemeral_storage_mb,omitempty"` // size of /tmp
	Network            string `json:"network,omitempty"`              // "" (host) or NetworkNone
	// LogFormat is Lambda's LoggingConfig.LogFormat: "" or LogFormatText,
	// or LogFormatJSON (START/END/REPORT and the function's lines as JSON
	// objects; docs/OBSERVABILITY.md).
	LogFormat string `json:"log_format,omitempty"`
	// Permissions limit what the function's own credentials (its
	// instances' AWS_ACCESS_KEY_ID…) may do; nil: everything of its tenant.
	Permissions Permissions `json:"permissions"` // no omitempty: [] (nothing allowed) must not read back as null (everything)
	// SealedEnv is Env as stored (registry: sealed under the master key);
	// never set on a definition in memory once the key is loaded.
	SealedEnv []byte `json:"sealed_env,omitempty"`
	// Triggers are the event sources updraft.yaml declares (trigger.go);
	// control applies them on every deploy.
	Triggers []Trigger         `json:"triggers,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	// DeadLetterARN receives the events of asynchronous invocations that
	// failed for good (Lambda's DeadLetterConfig.TargetArn): a queue or a
	// topic of the same account; "" for none.
	DeadLetterARN string `json:"dead_letter_arn,omitempty"`
	// Version is "" for $LATEST or the number of a published snapshot;
	// LastVersion, on $LATEST, counts the versions published so far.
	Version     string `json:"version,omitempty"`
	LastVersion int64  `json:"last_version,omitempty"`
	// Provisioned is where servers before the control plane stored
	// Lambda's provisioned concurrency configs without applying them;
	// control moves them into fn.Concurrency at start. Never written now.
	Provisioned map[string]int `json:"provisioned,omitempty"`
	URL         *FunctionURL   `json:"url,omitempty"`
	CodeSHA256  string         `json:"code_sha256"`
	CodeSize    int64          `json:"code_size"`
	Revision    int64          `json:"revision"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	CodeChanged bool           `json:"code_changed,omitempty"` // set on a deploy's reply only
}

// ARN is the function's Lambda-style ARN.
func (f *Function) ARN() string { return ARN(f.Tenant, f.Name, "") }

// LambdaRuntime is the function's runtime as Lambda names it: the name it
// was deployed with, else the one its engine stands for. A stored name
// Updraft no longer accepts reports as its engine's name.
func (f *Function) LambdaRuntime() string {
	if _, ok := lambdaRuntimes[f.RuntimeName]; ok {
		return f.RuntimeName
	}
	if name, ok := runtimeAliases[f.RuntimeName]; ok {
		return name
	}
	if name, ok := engineRuntime[f.Runtime]; ok {
		return name
	}
	return f.Runtime
}

// Timeout is the function's timeout as a duration.
func (f *Function) Timeout() time.Duration { return time.Duration(f.TimeoutSec) * time.Second }

// ARN builds arn:aws:lambda:local:<account>:function:<name>[:<qualifier>]
// with the tenant's account id.
func ARN(tenant, name, qualifier string) string {
	s := "arn:aws:lambda:" + Region + ":" + AccountID(tenant) + ":function:" + name
	if qualifier != "" {
		s += ":" + qualifier
	}
	return s
}

// AccountID is tenant's 12-digit account id, where Lambda has the AWS
// account: the first 64 bits of SHA-256("updraft-account:" + tenant),
// modulo 10^12, zero-padded. Derived, not stored, so every node, the CLI
// and a restarted server compute the same id without a lookup, and no
// existing tenant needs a migration. When tenants get stored records (with
// an account id of the operator's choosing), this stays the default for a
// tenant created without one, so no id shown so far changes.
//
// Two tenants share an id with probability about n²/2·10⁻¹² (10⁻⁶ for a
// thousand tenants); even then nothing leaks, because every lookup is made
// in the caller's own tenant and an ARN is only checked against it.
func AccountID(tenant string) string {
	sum := sha256.Sum256([]byte("updraft-account:" + tenant))
	n := binary.BigEndian.Uint64(sum[:8]) % 1_000_000_000_000
	return fmt.Sprintf("%012d", n)
}

// IsAccountID reports whether s has the form of an account id: 12 digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	tenantRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	envKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// reservedEnv are the variables the platform sets; a function may not set them.
var reservedEnv = map[string]bool{
	"AWS_LAMBDA_RUNTIME_API": true, "_HANDLER": true, "LAMBDA_TASK_ROOT": true,
	"LAMBDA_RUNTIME_DIR": true, "AWS_LAMBDA_FUNCTION_NAME": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true,
	"AWS_EXECUTION_ENV": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
}

// ValidateName checks a function name the way Lambda does.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return InvalidParameter("invalid function name %q: use 1 to 64 letters, digits, hyphens or underscores", name)
	}
	return nil
}

// ValidateTenant checks a tenant id.
func ValidateTenant(t string) error {
	if !tenantRE.MatchString(t) {
		return InvalidParameter("invalid tenant %q: use 1 to 63 lower-case letters, digits, hyphens or underscores, starting with a letter or digit", t)
	}
	return nil
}

// ResolveRuntime maps a runtime name (Lambda's, or a short alias) to the
// engine Updraft runs and the Lambda name it reports.
func ResolveRuntime(r string) (engine, lambdaName string, err error) {
	if alias, ok := runtimeAliases[r]; ok {
		r = alias
	}
	if engine, ok := lambdaRuntimes[r]; ok {
		return engine, r, nil
	}
	switch {
	case strings.HasPrefix(r, "python3."):
		return "", "", InvalidParameter("runtime %s is not offered: Updraft runs Python functions on the host's Python 3.11; use %s, %s or %s (or python3)",
			r, RuntimePython312, RuntimePython311, RuntimePython310)
	case strings.HasPrefix(r, "nodejs"):
		return "", "", InvalidParameter("runtime %s is not offered: Updraft runs Node.js functions on the host's Node.js 20; use %s or %s (or node)",
			r, RuntimeNode20, RuntimeNode18)
	case strings.HasPrefix(r, "provided."):
		return "", "", InvalidParameter("runtime %s is not offered: use %s or %s (or provided, go)", r, RuntimeAL2023, RuntimeAL2)
	}
	return "", "", InvalidParameter("unknown runtime %q: use one of %s; or a short name: python3, node, provided (alias go)", r, strings.Join(RuntimeNames(), ", "))
}

// NormalizeRuntime maps a runtime name (Lambda's, or a short alias) to the
// engine Updraft runs.
func NormalizeRuntime(r string) (string, error) {
	engine, _, err := ResolveRuntime(r)
	return engine, err
}

// IsRuntimeAlias reports whether r is a short name (python3, node, go,
// provided, …) rather than a Lambda runtime name.
func IsRuntimeAlias(r string) bool {
	_, ok := runtimeAliases[r]
	return ok
}

// RuntimeNames lists the Lambda runtime names Updraft accepts, sorted.
func RuntimeNames() []string {
	names := make([]string, 0, len(lambdaRuntimes))
	for name := range lambdaRuntimes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ApplyDefaults fills zero values with Lambda's defaults.
func (f *Function) ApplyDefaults() {
	if f.MemoryMB == 0 {
		f.MemoryMB = DefaultMemoryMB
	}
	if f.TimeoutSec == 0 {
		f.TimeoutSec = DefaultTimeoutSec
	}
	if f.EphemeralStorageMB == 0 {
		f.EphemeralStorageMB = DefaultEphemeralMB
	}
}

// Validate checks the configuration (not the code) and returns a typed
// error saying what to fix.
func (f *Function) Validate() error {
	if f.LogFormat != "" && f.LogFormat != LogFormatText && f.LogFormat != LogFormatJSON {
		return InvalidParameter("LoggingConfig.LogFormat %q is not one of Text, JSON", f.LogFormat)
	}
	if err := ValidateName(f.Name); err != nil {
		return err
	}
	rt, err := NormalizeRuntime(f.Runtime)
	if err != nil {
		return err
	}
	f.Runtime = rt
	if f.MemoryMB < MinMemoryMB || f.MemoryMB > MaxMemoryMB {
		return InvalidParameter("memory %d MB is out of range: use %d to %d MB", f.MemoryMB, MinMemoryMB, MaxMemoryMB)
	}
	if f.TimeoutSec < MinTimeoutSec || f.TimeoutSec > MaxTimeoutSec {
		return InvalidParameter("timeout %d s is out of range: use %d to %d seconds", f.TimeoutSec, MinTimeoutSec, MaxTimeoutSec)
	}
	if f.EphemeralStorageMB < MinEphemeralMB || f.EphemeralStorageMB > MaxEphemeralMB {
		return InvalidParameter("ephemeral storage %d MB is out of range: use %d to %d MB", f.EphemeralStorageMB, MinEphemeralMB, MaxEphemeralMB)
	}
	if err := f.Permissions.Validate(); err != nil {
		return err
	}
	if f.Network != "" && f.Network != NetworkNone {
		return InvalidParameter("network %q is invalid: leave it empty for the host's network or use %q", f.Network, NetworkNone)
	}
	if len(f.Description) > MaxDescription {
		return InvalidParameter("description is %d characters long: the limit is %d", len(f.Description), MaxDescription)
	}
	switch f.Runtime {
	case RuntimePython, RuntimeNode:
		if i := strings.LastIndexByte(f.Handler, '.'); i <= 0 || i == len(f.Handler)-1 {
			return InvalidParameter("handler %q is invalid for runtime %s: use FILE.FUNCTION, e.g. app.handler", f.Handler, f.Runtime)
		}
	}
	size := 0
	for _, k := range sortedKeys(f.Env) {
		if !envKeyRE.MatchString(k) {
			return InvalidParameter("environment variable name %q is invalid: start with a letter, then letters, digits or underscores", k)
		}
		if reservedEnv[k] {
			return InvalidParameter("environment variable %s is reserved by the platform: choose another name", k)
		}
		size += len(k) + len(f.Env[k])
	}
	if size > MaxEnvBytes {
		return InvalidParameter("environment variables take %d bytes: the limit is %d bytes", size, MaxEnvBytes)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Key is the function's identity inside the platform: tenant/name.
func Key(tenant, name string) string { return tenant + "/" + name }

// SplitKey is Key's inverse; a key without a tenant is ("", key).
func SplitKey(key string) (tenant, name string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// Log formats (Function.LogFormat), Lambda's LoggingConfig.LogFormat.
const (
	LogFormatText = "Text"
	LogFormatJSON = "JSON"
)
