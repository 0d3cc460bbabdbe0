// Package registry owns what is deployed: function definitions (KV bucket
// "functions", key "<tenant>.<name>"), code artifacts (object store "code",
// named by the zip's sha256) and API keys (KV bucket "apikeys", keyed by the
// sha256 of the key, mapping to a tenant).
//
// Function definitions are served from an in-memory cache kept current by a
// KV watcher, so a lookup on the invoke path never waits on NATS; a second
// node sharing the NATS cluster sees deploys through the same watcher. Writes
// go to JetStream first and update the cache before returning, so a read
// right after a write on the same node sees it. Every cache entry remembers
// the KV revision it came from and only a newer revision replaces it, so the
// watcher delivering an older event late cannot undo a local write.
//
// The watcher also publishes every change of a definition (Changes) to one
// listener, control, which retires the old revision's instances on every
// node that shares the store, whichever node made the change.
//
// Code objects are collected by mark and sweep (gc.go): CollectCode deletes
// those no function and no published version names, read from the store,
// except code a deploy in flight holds (HoldCode, KV bucket "codeholds")
// and code younger than a grace period. Storage (storage.go) reports the
// bytes of every JetStream stream and each tenant's share.
//
// Check verifies the store under the registry and names every loss in the
// registry's terms — functions, versions and API keys by key, code objects
// by digest with the functions that use them, async events by count — for
// `updraft admin check` (offline) and CheckAtStart (serve refuses a damaged
// store unless --allow-degraded). GetCode reads code chunk by chunk and
// checks its digest, so damaged code is ErrCodeCorrupt at once, never a wait
// or an anonymous 500. EnsureAdminKey never replaces a lost admin key while
// the store holds other keys.
package registry
