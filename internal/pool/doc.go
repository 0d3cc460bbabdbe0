// Package pool keeps the warm instances of every function version and hands
// them out one invocation at a time.
//
// A caller that finds no idle instance queues as a waiter; the pool starts a
// new instance for it when the version's instance cap allows, and the waiter
// takes whichever instance becomes free first — the one started for it or
// one released by another call — so no request waits for a cold start it did
// not need. Instances stay idle (LIFO, so the warmest is reused first) until
// the keep-alive expires; the reaper then stops them. A busy instance is never
// stopped by the reaper; a retired version's instances stop as they come back.
package pool
