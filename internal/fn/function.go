package fn

import (
	"regexp"
	"sort"
	"strings"
	"time"
)

// Runtimes Updraft manages. "go" is an alias of "provided": both run an
// executable named bootstrap that speaks the Lambda Runtime API.
const (
	RuntimeProvided = "provided"
	RuntimePython   = "python3"
	RuntimeNode     = "node"
)

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
	MaxAsyncPayload    = 256 << 10 // 256 KB, the event of an async invoke
	MaxEnvBytes        = 4 << 10   // 4 KB of environment variables in total
	MaxDescription     = 256
	LatestVersion      = "$LATEST"
	Region             = "local"
	AccountPlaceholder = "000000000000"
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
	// Lambda API fields. RuntimeName is the runtime as the user gave it
	// (python3.12, provided.al2023); Runtime is what Updraft runs.
	RuntimeName        string            `json:"runtime_name,omitempty"`
	Description        string            `json:"description,omitempty"`
	Role               string            `json:"role,omitempty"`
	EphemeralStorageMB int               `json:"ephemeral_storage_mb,omitempty"` // size of /tmp
	Network            string            `json:"network,omitempty"`              // "" (host) or NetworkNone
	Tags               map[string]string `json:"tags,omitempty"`
	// Version is "" for $LATEST or the number of a published snapshot;
	// LastVersion, on $LATEST, counts the versions published so far.
	Version     string `json:"version,omitempty"`
	LastVersion int64  `json:"last_version,omitempty"`
	// Provisioned is the provisioned concurrency requested through the
	// Lambda API per version or alias (stored and reported; not yet kept
	// warm). Reserved concurrency lives in the scheduler's settings.
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

// Timeout is the function's timeout as a duration.
func (f *Function) Timeout() time.Duration { return time.Duration(f.TimeoutSec) * time.Second }

// ARN builds arn:aws:lambda:local:<tenant>:function:<name>[:<qualifier>].
// The tenant stands where Lambda has the account id.
func ARN(tenant, name, qualifier string) string {
	s := "arn:aws:lambda:" + Region + ":" + tenant + ":function:" + name
	if qualifier != "" {
		s += ":" + qualifier
	}
	return s
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

// NormalizeRuntime maps accepted runtime names to Updraft's runtimes.
func NormalizeRuntime(r string) (string, error) {
	switch {
	case r == "provided" || r == "go" || strings.HasPrefix(r, "provided.") || r == "go1.x":
		return RuntimeProvided, nil
	case r == "python3" || r == "python" || strings.HasPrefix(r, "python3."):
		return RuntimePython, nil
	case r == "node" || r == "nodejs" || strings.HasPrefix(r, "nodejs"):
		return RuntimeNode, nil
	}
	return "", InvalidParameter("unknown runtime %q: use one of provided (alias go), python3, node", r)
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
