// Package store runs the embedded NATS JetStream server that holds all of
// Updraft's state — key-value buckets, the code object store, log and usage
// streams — and hands out typed helpers over it.
//
// The server is in-process: clients connect through an in-memory pipe, no TCP
// port is opened unless one is configured (for a cluster). Every write is
// fsynced before it is acknowledged (sync_interval: always), so "stored" means
// "on disk".
package store
