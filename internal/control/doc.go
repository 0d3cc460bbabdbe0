// Package control owns the management sequences that span several domain
// packages, so that every protocol (the /v1 API, the Lambda API, the CLI
// and later SAM stacks) runs the same steps:
//
//   - deploy and delete: the registry stores the definition; retiring the
//     old instances follows from the registry's change feed (a KV watch), so
//     it happens on every node that shares the store, not only on the node
//     that served the request;
//   - concurrency: reserved concurrency and instance caps (stored by the
//     scheduler) and provisioned concurrency per qualifier ($LATEST, a
//     version or an alias), reconciled into the pool's pinned instances
//     and reported with Lambda's status (IN_PROGRESS, READY, FAILED);
//   - storage: code no function or version references is collected (and
//     this node's unpacked copies pruned, except those its instances use)
//     shortly after every delete and redeploy and every ten minutes
//     (gc.go); Storage reports the store's bytes per stream and tenant;
//   - event source mappings (mappings.go): the function and the queue must
//     exist in the tenant, then the mapping is stored; every node's
//     mapping.Runner runs it from the store.
//
// HTTP handlers decode, call one Control method, and encode.
package control
