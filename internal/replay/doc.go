// Package replay replays a workload in the Azure Functions 2019 public
// trace format through the real pool and keep-alive policy on a virtual
// clock, with a simulated runtime, and reports cold starts and idle memory
// (`updraft replay`).
//
// Input (parsed by header name, so reordered columns, a missing Trigger
// column and minutes named minute_1..minute_1440 are accepted):
//
//   - invocations: HashOwner, HashApp, HashFunction, Trigger, 1..1440 —
//     calls per minute of one day;
//   - durations: HashOwner, HashApp, HashFunction, Average, Count, Minimum,
//     Maximum, percentile_Average_{0,1,25,50,75,99,100} in ms;
//   - memory, per app: HashOwner, HashApp, SampleCount, AverageAllocatedMb,
//     AverageAllocatedMb_pct{1,5,25,50,75,95,99,100}.
//
// Simulation: a minute's calls of a function are spread evenly over the
// minute; each holds an instance for the function's average duration (plus
// the cold-start cost when it started one); an instance uses its app's
// average allocated memory. The reaper runs every 10 virtual seconds, and
// idle memory is integrated at the same step into idle GB-s. Functions
// without a duration row run 1 s; apps without a memory row use 128 MB.
// Pre-warms are the instances started that no cold call waited for; a
// pre-warm hit is one whose first call was warm.
//
// Synthesize writes a trace in the same format: MixAzure (the default)
// follows the shapes the Azure trace is reported to have — timers, rare
// timers beyond 4 hours, memoryless HTTP functions with a daily swing,
// frequent ones, queue bursts, sporadic ones — and MixSimple is an easier
// mix of timers, frequent functions and bursts.
package replay
