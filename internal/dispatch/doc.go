// Package dispatch is the one delivery loop of every event source:
// receive a batch from a durable queue (internal/queue), hand it to the
// source's handler (which shapes the event and invokes the function
// through fn.Invoker), and settle each message as the handler decided —
// acknowledge, make it visible again after a delay, or leave it to its
// visibility timeout. Asynchronous invocations and queue event source
// mappings are the same loop with different parameters (batch size,
// batching window, concurrency, lease extension).
//
// A Runner owns the loops of one node; each loop polls its own queue's
// consumer, so one slow function never holds back another, and several
// nodes of a cluster share a queue without coordination. Every settle
// error is logged; the message then returns after its visibility timeout,
// so nothing is lost.
package dispatch
