package fn

import "context"

// Request is one invocation as every source hands it to the invoke path:
// the Lambda Invoke API, function URLs, async events, queues and triggers.
type Request struct {
	RequestID     string
	Tenant        string
	Function      string
	Qualifier     string // "", "$LATEST", a version number or an alias
	Payload       []byte
	TraceID       string
	ClientContext string
	WantLogTail   bool
	// Async marks a source that retries on its own (async events, queue
	// pollers): it never waits for a concurrency slot.
	Async bool
}

// Result is what an invocation returns to its source.
type Result struct {
	Payload         []byte
	FunctionError   string // "" or "Unhandled"
	ExecutedVersion string
	LogTail         []byte // the invocation's log, last 4 KB, when asked for

	// Pending is the invoker's own work left for after the reply (its
	// logs and billing record); Invoker.Finish completes it.
	Pending any `json:"-"`
}

// Invoker runs invocations; the router implements it, and every event
// source (async, queues, triggers) depends on this interface only.
type Invoker interface {
	Invoke(ctx context.Context, req *Request) (*Result, error)
	// Finish writes what Invoke left for after the reply. Call it once per
	// successful Invoke, after the reply is on its way.
	Finish(res *Result)
}
