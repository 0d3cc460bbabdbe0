package runtime

import (
	"context"
	"time"
)

// Spec is everything needed to start an instance of one function version.
type Spec struct {
	Tenant   string
	Function string
	Version  string // "$LATEST" or a published version number
	ARN      string // invoked function ARN
	Runtime  string // fn.RuntimeProvided, fn.RuntimePython, fn.RuntimeNode
	// LambdaRuntime is the runtime's name as Lambda reports it
	// (python3.12, nodejs20.x, provided.al2023); "" when unknown.
	LambdaRuntime string
	Handler       string
	CodeDir       string // unpacked code, treated as read-only
	MemoryMB      int
	Timeout       time.Duration
	Env           map[string]string
	// EphemeralMB is the size of the instance's /tmp; 0 means the
	// platform's default (512 MB).
	EphemeralMB int
	// Network is "" for the host's network or fn.NetworkNone for none
	// at all (the Runtime API is still reachable).
	Network string
	// AWS is what the instance's own AWS SDK uses to reach the platform's
	// services; nil gives it none.
	AWS *AWSAccess
}

// AWSAccess is an instance's way to the platform's AWS-compatible
// services: session credentials scoped to its function, and the endpoint.
type AWSAccess struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	// Endpoint is the platform's endpoint as host:port on the host's
	// network; an instance without network reaches it through a
	// forwarder inside its namespace.
	Endpoint string
}

// Request is one invocation handed to an instance.
type Request struct {
	ID            string    // request id, a UUID
	Payload       []byte    // the event, JSON
	Deadline      time.Time // when the platform stops the invocation
	TraceID       string    // X-Amzn-Trace-Id, optional
	ClientContext string    // client context JSON (decoded), optional
}

// Response is the outcome of one invocation. Function-level failures
// (handled errors, timeouts, crashes) are Responses with FunctionError set,
// not Go errors: Lambda reports them to the caller as 200 + error JSON.
type Response struct {
	Payload       []byte        // the function's result or its error JSON
	FunctionError string        // "" on success, else "Unhandled"
	ErrorType     string        // the errorType of a failed invocation, if known
	Outcome       string        // fn.OutcomeSuccess, OutcomeError, OutcomeTimeout, OutcomeCrash
	Logs          []byte        // stdout/stderr written during the invocation
	Duration      time.Duration // from handing the event over to the result
	MaxMemoryMB   int           // peak memory of the instance so far
	Broken        bool          // the instance is unusable and must be discarded
}

// Instance is one running copy of a function version. It runs one
// invocation at a time; the pool guarantees Invoke is never called
// concurrently on the same instance.
type Instance interface {
	// Invoke runs req and returns its outcome. An error means the platform
	// could not run it at all (the instance is then Broken).
	Invoke(ctx context.Context, req *Request) (*Response, error)
	// InitDuration is how long the runtime took from start to ready.
	InitDuration() time.Duration
	// InitLogs returns (once) what the instance wrote while initialising.
	InitLogs() []byte
	// Close stops the instance and everything it started. Safe to call twice.
	Close(ctx context.Context) error
}

// Runtime starts instances. NewInstance returns once the instance is ready for
// its first invocation (it asked the Runtime API for the next event), or an
// error: an *InitError when the function's own init failed.
type Runtime interface {
	NewInstance(ctx context.Context, spec Spec) (Instance, error)
}

// InitError is returned by NewInstance when the function failed to initialise:
// it posted /init/error, exited, or did not become ready in time. Lambda
// reports it to the caller as a function error.
type InitError struct {
	ErrorType string // e.g. Runtime.ExitError, Runtime.ImportModuleError
	Payload   []byte // error JSON for the caller
	Logs      []byte // what the instance printed
	Duration  time.Duration
}

func (e *InitError) Error() string {
	return "function init failed: " + e.ErrorType + ": " + string(e.Payload)
}
