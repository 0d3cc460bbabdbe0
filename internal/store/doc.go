// Package store runs the embedded NATS JetStream server that holds all of
// Updraft's state — key-value buckets, the code object store, log and usage
// streams — and hands out typed helpers over it.
//
// The server is in-process: clients connect through an in-memory pipe, no TCP
// port is opened unless one is configured (for a cluster). Every write is
// fsynced before it is acknowledged (sync_interval: always), so "stored" means
// "on disk".
//
// Backup takes an online copy of every stream with JetStream's own
// snapshots, as a tar archive with a manifest of sizes and SHA-256 sums;
// ExtractBackup writes one to a directory, VerifyBackup checks one, and
// Restore recreates the streams in a new store with the server stopped.
package store
