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
// # Keep-alive policy
//
// KeepAlive decides how long a function's idle instances live; the pool
// asks it on every reap (pool.Policy). "fixed:D" keeps every idle instance
// for D after its last call. "adaptive" is the hybrid histogram policy of
// Shahrad et al., "Serverless in the Wild" (USENIX ATC '20):
//
//   - Per function, the idle times between calls (from the end of the last
//     call in flight to the next arrival) go into a histogram of 1-minute
//     bins covering 4 hours; longer ones are counted as out of bounds.
//   - The histogram is representative when it has at least 10 samples, at
//     most half of them are out of bounds, and the coefficient of variation
//     of its bin counts is at least 2 (a peaked, not a flat, distribution).
//   - Then the pre-warm window is the 5th percentile of the idle times
//     (bin's lower edge, 10% earlier) and the keep-alive window runs from
//     there to the 99th percentile (bin's upper edge, 10% later). With a
//     pre-warm window the pool stops an instance once it is idle and starts
//     one again when the window ends, kept until the keep-alive window ends
//     (or used); without one (5th percentile in the first bin) the instance
//     simply stays for the keep-alive window after its last call.
//   - Otherwise the fixed window applies (the paper's fallback; it falls
//     back to ARIMA for mostly out-of-bounds functions, which Updraft does
//     not do).
//
// On top of either policy, a global budget for idle-instance memory
// (--idle-budget-mb) is enforced by the pool with Greedy-Dual-Size-
// Frequency eviction, as FaasCache (Fuerst and Sharma, ASPLOS '21) applies
// it to warm functions: an idle instance's priority is clock + calls ×
// cold-start cost ÷ memory; the lowest goes first and the clock rises to its
// priority, so the instances kept are those whose loss would cost the most
// cold-start time per MB.
//
// Time comes from Config.Now so that the accounting can be tested on a
// virtual clock; waiting uses real timers bounded by the caller's context.
package scheduler
