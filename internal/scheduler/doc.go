// Package scheduler owns admission — which call may run now, and which gets
// 429 — and the keep-alive policy.
//
// The model is Lambda's. A tenant has a concurrency limit (default 1000)
// of calls in flight. A function may reserve part of it: its reserved
// concurrency is both guaranteed to it and its ceiling, and is carved out of
// what the tenant's other functions share (the unreserved pool = limit −
// sum of reservations). Reserved 0 disables the function: every call is
// throttled. A function without a reservation competes for the unreserved
// pool.
//
// Acquire is the one admission path. It takes a concurrency slot (Admit:
// the tenant's unreserved pool or the function's reservation, and the
// function's MaxInstances cap), then an instance from the pool within the
// host's memory for functions. When either is not available the call waits,
// FIFO, at most one configured bound shared by both — a few hundred
// milliseconds for synchronous calls, none for asynchronous sources that
// retry — and then fails with a 429 TooManyRequestsException whose Reason
// says which limit was hit (ConcurrentInvocationLimitExceeded,
// ReservedFunctionConcurrentInvocationLimitExceeded,
// FunctionInstanceLimitExceeded, HostCapacityExceeded). Throttles are
// counted per reason, in one counter.
//
// The per-function configuration (fn.Concurrency) is persisted through a
// ConfigStore (the registry's concurrency bucket) and loaded at Start.
//
// # Keep-alive policy
//
// KeepAlive decides how long a function's idle instances live; the pool
// asks it on every reap (pool.Policy). "fixed:D" keeps every idle instance
// for D after its last call. "adaptive" is the hybrid histogram policy of
// Shahrad et al., "Serverless in the Wild" (USENIX ATC '20), with its
// windows priced in memory:
//
//   - Per function, idle times go into a histogram of 1-minute bins
//     covering 4 hours; longer ones are out of bounds. An idle time is an
//     instance's: a call that arrives with n calls in flight takes the
//     (n+1)-th instance, idle since the function last went down from n+1
//     calls in flight (the pool reuses the most recently used instance).
//   - With at least 5 idle times, at most half of them out of bounds, the
//     instance is kept loaded over the stretch of bins that pays the most:
//     a bin catches the calls that arrived in it and costs one bin of idle
//     memory for every idle time that reached it; a cold start is worth
//     ColdStartGBs (400 GB-s, about 27 minutes of a 256 MB instance), and
//     the stretch with the highest sum of calls caught minus idle GB-s over
//     that price wins (a maximum subarray; it must catch at least 5
//     calls). The stretch's start, 10% earlier, is the pre-warm window and
//     its length, 10% longer, the keep-alive window. A timer's histogram
//     is one peak: unload after the call, load again just before the
//     next. A memoryless function is kept for the whole histogram when
//     its calls come often enough for its size, and stopped after each
//     call when they do not. ColdStartGBs < 0 gives the paper's windows
//     instead: pre-warm at the 5th percentile, keep until the 99th, when
//     the bin counts' coefficient of variation is at least 2.
//   - With a pre-warm window the pool stops an instance once it is idle
//     and starts one again when the window ends, kept until the keep-alive
//     window ends (or used); without one the instance stays for the
//     keep-alive window after its last call; with neither it is stopped
//     after its call.
//   - When most idle times are out of bounds (at least 2), the next one
//     is forecast by simple exponential smoothing (the forecast of an
//     ARIMA(0,1,1) model); while the last three agree with it to 15%, the
//     instance is pre-warmed 15% before the forecast and kept until 15%
//     after it, as in the paper.
//   - Otherwise the fixed window applies.
//
// On a synthetic day of 400 functions replayed through the real pool
// (internal/replay, `make bench`), adaptive against fixed:10m: 0.50× the
// cold-start fraction at 0.82× the idle GB-s on the Azure-like mix, 0.23×
// at 0.69× on the simple one; 99% of pre-warmed instances are used by a
// call. docs/RATIONALE.md has the reasoning.
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
