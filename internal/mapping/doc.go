// Package mapping owns event source mappings from queues and table
// streams to functions: Lambda's EventSourceMapping for SQS-compatible
// queues and DynamoDB-compatible table streams (stream.go, streamrun.go:
// one ordered loop per mapping, retries, bisection, on-failure
// destinations and a stored position; the Streams interface is the
// tables' reader, wired by the daemon).
//
// A mapping's definition is a record in the EVENT_SOURCE_MAPPINGS
// key-value bucket (key "TENANT.UUID"), so every node of a cluster sees
// every mapping. The Runner watches that bucket and runs one delivery loop
// (internal/dispatch) per enabled mapping on its node: it receives up to
// BatchSize messages within the batching window, shapes Lambda's SQS event
// (internal/event), invokes the function synchronously through fn.Invoker
// and settles the batch as Lambda does:
//
//   - success: every message is deleted; with ReportBatchItemFailures,
//     every message but those the function listed in batchItemFailures,
//     which stay leased until their visibility timeout;
//   - function error: the whole batch stays leased until its visibility
//     timeout and is then received again, until the queue's redrive
//     policy (maxReceiveCount) moves it to the dead-letter queue;
//   - throttle or platform error: the batch is made visible again after a
//     short backoff (each return counts as a receive, as on Lambda).
//
// No message is ever deleted without a successful call that covered it.
// The loop's concurrency (batches in flight) is ScalingConfig's
// MaximumConcurrency, DefaultConcurrency when unset: pollers take a new
// batch while slots are free and messages wait, and hold none when the
// queue is empty.
//
// States are reported honestly per node: a mapping is "Enabled" when its
// loop runs on this node with its latest definition, "Creating",
// "Enabling", "Updating" or "Disabling" until the watch has applied it
// (normally within milliseconds), "Disabled" when no loop runs.
package mapping
