// Package queue owns durable queues on NATS JetStream: the spine under
// asynchronous invocations, SQS-compatible queues, topic fan-out and every
// other event source.
//
// All queues share one stream (QUEUES). A queue is a subject,
// "q.TENANT.NAME", and one durable pull consumer filtered to it, so one
// slow queue never starves another and several nodes of a NATS cluster
// consume the same queue without coordination. The queue's definition
// (visibility timeout, retention, dead-letter policy, FIFO) is a record in
// the QUEUE_DEFS key-value bucket.
//
// The semantics are SQS's, built from JetStream's own mechanisms:
//
//   - Send returns after JetStream stored the message with fsync; a
//     de-duplication id stores a retried send once (five-minute window).
//   - A delayed message waits on a separate subject ("qd.TENANT.NAME")
//     until it is due and is then moved to its queue, so its receive count
//     only counts real receives.
//   - Receive leases messages: each stays invisible for the visibility
//     timeout (the consumer's AckWait, or NAK-with-delay for another
//     value); its receipt handle is the ack subject of that delivery, so
//     Ack and ChangeVisibility work from any node.
//   - A message received more than the dead-letter policy's maximum is
//     moved to the dead-letter queue instead of being returned.
//   - FIFO queues hand out one batch at a time: the next receive waits
//     until every message of the previous batch is acknowledged or
//     visible again (order within a group holds; groups do not run in
//     parallel — see docs/MESSAGING.md).
package queue
