package mapping

import (
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// Limits and defaults, Lambda's for SQS event sources.
const (
	DefaultBatchSize = 10
	MaxBatchSize     = 10_000
	// MaxUnwindowedBatch is the largest BatchSize allowed without a
	// batching window of at least a second (and the largest for a FIFO
	// queue).
	MaxUnwindowedBatch = 10
	MaxWindowSeconds   = 300
	// DefaultConcurrency is the most batches of one mapping in flight on
	// a node when ScalingConfig.MaximumConcurrency is unset. Lambda scales
	// an SQS mapping to 1,250 concurrent calls by default; here a node
	// serves many tenants on few cores, so the default is small and a
	// mapping that needs more asks for it (MaximumConcurrency 2–1000).
	DefaultConcurrency = 5
	MinConcurrency     = 2
	MaxConcurrency     = 1000
	// ReportBatchItemFailures is the one FunctionResponseTypes value.
	ReportBatchItemFailures = "ReportBatchItemFailures"
)

// States, as Lambda names them.
const (
	StateCreating  = "Creating"
	StateEnabling  = "Enabling"
	StateEnabled   = "Enabled"
	StateDisabling = "Disabling"
	StateDisabled  = "Disabled"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
	// ReasonUser is the StateTransitionReason of every change made
	// through the API.
	ReasonUser = "USER_INITIATED"
)

// Mapping is one event source mapping: a queue of the tenant feeding a
// function of the tenant.
type Mapping struct {
	UUID   string `json:"uuid"`
	Tenant string `json:"tenant"`
	// Queue is the queue's name in the tenant (the SQS queue name).
	Queue     string `json:"queue"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier,omitempty"`
	BatchSize int    `json:"batch_size"`
	// WindowSeconds is MaximumBatchingWindowInSeconds.
	WindowSeconds  int  `json:"window_seconds,omitempty"`
	ReportFailures bool `json:"report_failures,omitempty"`
	// MaxConcurrency is ScalingConfig.MaximumConcurrency; 0: unset.
	MaxConcurrency int  `json:"max_concurrency,omitempty"`
	Enabled        bool `json:"enabled"`
	// Stream is set for a table stream source (Queue is then "").
	Stream *Stream `json:"stream,omitempty"`
	// Owner is "yaml" for a mapping its function's updraft.yaml declared
	// (`type: queue`): a redeploy without it removes it. "" for the API's.
	Owner        string    `json:"owner,omitempty"`
	Reason       string    `json:"reason,omitempty"` // StateTransitionReason
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"last_modified"`
	// Revision is the definition's revision in the store (not stored in
	// the record itself): the Runner reports a state against it.
	Revision uint64 `json:"-"`
}

// QueueID is the mapping's queue.
func (m *Mapping) QueueID() queue.ID { return queue.ID{Tenant: m.Tenant, Name: m.Queue} }

// QueueARN is the mapping's EventSourceArn: its queue's, or its stream's.
func (m *Mapping) QueueARN() string {
	if m.Stream != nil {
		return m.Stream.ARN
	}
	return QueueARN(m.Tenant, m.Queue)
}

// FunctionARN is the mapping's FunctionArn (with its qualifier, if any).
func (m *Mapping) FunctionARN() string { return fn.ARN(m.Tenant, m.Function, m.Qualifier) }

// Concurrency is the most batches in flight.
func (m *Mapping) Concurrency() int {
	if m.MaxConcurrency > 0 {
		return m.MaxConcurrency
	}
	return DefaultConcurrency
}

// Window is the batching window.
func (m *Mapping) Window() time.Duration { return time.Duration(m.WindowSeconds) * time.Second }

// FIFO reports whether the mapping's queue is a FIFO queue (SQS requires
// their names to end in ".fifo").
func (m *Mapping) FIFO() bool { return strings.HasSuffix(m.Queue, ".fifo") }

// Validate says what is wrong with m's settings, as Lambda would, in words
// that say what to fix.
func (m *Mapping) Validate() error {
	if m.Stream != nil {
		return m.validateStream()
	}
	switch {
	case m.BatchSize < 1 || m.BatchSize > MaxBatchSize:
		return fn.InvalidParameter("BatchSize %d is outside 1 to %d", m.BatchSize, MaxBatchSize)
	case m.WindowSeconds < 0 || m.WindowSeconds > MaxWindowSeconds:
		return fn.InvalidParameter("MaximumBatchingWindowInSeconds %d is outside 0 to %d", m.WindowSeconds, MaxWindowSeconds)
	case m.FIFO() && m.BatchSize > MaxUnwindowedBatch:
		return fn.InvalidParameter("BatchSize %d is above %d, the maximum for a FIFO queue", m.BatchSize, MaxUnwindowedBatch)
	case m.FIFO() && m.WindowSeconds > 0:
		return fn.InvalidParameter("MaximumBatchingWindowInSeconds is not supported for FIFO queues: set it to 0")
	case m.BatchSize > MaxUnwindowedBatch && m.WindowSeconds < 1:
		return fn.InvalidParameter("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than %d: set MaximumBatchingWindowInSeconds to 1 or more, or BatchSize to %d or less", MaxUnwindowedBatch, MaxUnwindowedBatch)
	case m.MaxConcurrency != 0 && (m.MaxConcurrency < MinConcurrency || m.MaxConcurrency > MaxConcurrency):
		return fn.InvalidParameter("ScalingConfig.MaximumConcurrency %d is outside %d to %d", m.MaxConcurrency, MinConcurrency, MaxConcurrency)
	case m.Queue == "" || m.Function == "":
		return fn.InvalidParameter("a mapping needs an EventSourceArn and a FunctionName")
	}
	return nil
}

// QueueARN is the ARN of tenant's queue name:
// arn:aws:sqs:REGION:ACCOUNT:NAME.
func QueueARN(tenant, name string) string {
	return "arn:aws:sqs:" + fn.Region + ":" + fn.AccountID(tenant) + ":" + name
}

// SplitQueueARN returns the account and the queue name of an SQS queue
// ARN (arn:aws:sqs:REGION:ACCOUNT:NAME, any region); ok is false for
// anything else.
func SplitQueueARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", "", false
	}
	return parts[4], parts[5], true
}

// ParseQueueARN returns the queue name of an SQS queue ARN of tenant's
// account. Any region is accepted, as SDKs build ARNs with their own. An
// ARN of another account is reported as a queue that does not exist
// (nothing says whether it does).
func ParseQueueARN(tenant, arn string) (string, error) {
	account, name, ok := SplitQueueARN(arn)
	if !ok {
		return "", fn.InvalidParameter("EventSourceArn %q is not a queue ARN: Updraft maps SQS queues to functions, named as arn:aws:sqs:%s:%s:QUEUE", arn, fn.Region, fn.AccountID(tenant))
	}
	if account != fn.AccountID(tenant) {
		return "", QueueMissing(arn)
	}
	return name, nil
}

// QueueMissing is the error for an event source queue that does not exist.
func QueueMissing(arn string) error {
	return fn.InvalidParameter("the queue %s does not exist: create it first (SQS CreateQueue, or `updraft queue create`)", arn)
}
