// Package async owns durable asynchronous invocations (Lambda's
// InvocationType Event). Enqueue returns only after JetStream has stored
// the event with fsync, so a 202 never acknowledges what a crash could
// lose; a worker consumes the stream and invokes through fn.Invoker (the
// router implements it) with
// at-least-once delivery: an event is acknowledged after its invocation
// ends, retried with backoff when the function fails or is throttled, and
// redelivered after a crash. Dead-letter queues and destinations are not
// here yet: an event that exhausts its attempts or outlives its maximum
// age is logged and dropped.
package async
