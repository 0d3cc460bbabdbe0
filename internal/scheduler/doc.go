// Package scheduler owns concurrency accounting and throttling: which call
// may run now, and which gets 429.
//
// The model is Lambda's. A tenant has a concurrency limit (default 1000)
// of calls in flight. A function may reserve part of it: its reserved
// concurrency is both guaranteed to it and its ceiling, and is carved out of
// what the tenant's other functions share (the unreserved pool = limit −
// sum of reservations). Reserved 0 disables the function: every call is
// throttled. A function without a reservation competes for the unreserved
// pool.
//
// Admit takes one slot for a call and returns a Ticket that the caller
// releases when the call ends. When no slot is free the call waits, FIFO,
// at most the configured bound — a few hundred milliseconds for synchronous
// calls, none for asynchronous sources that retry — and then fails with a
// 429 TooManyRequestsException whose Reason says which limit was hit
// (ReservedFunctionConcurrentInvocationLimitExceeded for a reservation,
// ConcurrentInvocationLimitExceeded for the tenant's pool). Throttles are
// counted per reason.
//
// The scheduler admits calls; the pool finds them an instance, up to the
// function's max instances. Admitted calls beyond the running instances wait
// in the pool for whichever instance frees first (a burst from zero). The
// per-function configuration (fn.Concurrency) is persisted through a
// ConfigStore (the registry's concurrency bucket) and loaded at Start.
//
// Time comes from Config.Now so that the accounting can be tested on a
// virtual clock; waiting uses real timers bounded by the caller's context.
package scheduler
