// Package queuetest is the conformance suite for internal/queue: Run
// drives a Manager through every behaviour the platform relies on (durable
// send, de-duplication, leases and visibility, delays, dead-letter moves,
// redrive, purge, FIFO batches, stats and tenant isolation). It runs on
// one embedded server in queue's own tests and can run on any other
// store layout (a NATS cluster) the same way.
package queuetest
