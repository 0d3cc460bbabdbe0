// Package pool is the mechanism that keeps the instances of every function
// version and hands them out one invocation at a time; what may run and
// for how long is decided elsewhere (admission and keep-alive policy in the
// scheduler, provisioned targets by control).
//
// A caller that finds no idle instance queues as a waiter and the pool
// starts a new instance for it — one per concurrent call, with no cap per
// version unless Config.MaxInstances sets one — and the waiter takes
// whichever instance becomes free first: the one started for it or one
// released by another call, so no request waits for a cold start it did not
// need. Every instance holds its function's memory size against the host's
// capacity (Config.CapacityMB) from the moment its start is decided; a start
// that does not fit evicts idle instances of other versions (lowest
// Greedy-Dual priority first), and a caller that still finds no room fails
// with ErrNoCapacity at its deadline — unless its version is still starting
// instances, which will serve the queue: then it waits one more bound. Instances stay idle (LIFO, so the
// warmest is reused first) until the keep-alive policy's windows let them
// go; the reaper then stops them. A busy instance is never stopped by the
// reaper; a retired version's instances stop as they come back.
package pool
