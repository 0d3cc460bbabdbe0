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
//
// Nothing the server says is discarded: its log goes to slog (notices at
// debug, warnings and errors at their levels), and its storage warnings are
// kept for Verify's report. Verify checks every stream — JetStream's own
// state, every message read back, and the state against a manifest
// (updraft-manifest.json) recorded at the last clean stop (exact) or the last
// start (sequences only) — and names lost KV keys and object names. Accept
// records the present state as the expected one; Repair rewrites a stream
// that counts messages it cannot deliver (its readers would wait forever)
// for a start that accepts its losses. A flock on the directory keeps a
// check from opening a store a running server uses.
package store
