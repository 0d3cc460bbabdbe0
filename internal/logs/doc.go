// Package logs stores the log lines functions write and reads them back,
// following new ones like `tail -f`.
//
// Lines live in the JetStream stream LOGS, one subject per function
// (logs.<tenant>.<function>), batched by store.Batcher: one message per
// function per flush holds a JSON array of fn.LogEntry. Retention is by age
// and size (default 7 days, 1 GiB), oldest discarded first.
//
// It also formats the START, END and REPORT lines Lambda writes around each
// invocation, byte for byte as CloudWatch shows them, and the lines that
// say why the platform ended a call, which Lambda writes before END: the
// timeout (TimeoutLine), or the runtime's exit with its error type
// (ErrorLines: an exit status or signal, an out-of-memory kill, a failed
// init), with REPORT's Status and Error Type fields. The router writes them
// (internal/router/record.go) from the runtime's Response.
package logs
