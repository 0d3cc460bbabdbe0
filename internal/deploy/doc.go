// Package deploy turns an uploaded zip (or, for the CLI, a directory) into a
// deployed function: it validates the archive (size limits, zip bombs,
// zip-slip, symlinks), reads the optional updraft.yaml at its root, merges
// it with the request, checks the code fits the runtime, stores the zip
// content-addressed by its sha256, unpacks it into a read-only local cache
// (<cache>/<sha256>) and records the definition in the registry.
//
// The cache holds a go.mod of its own (gomod.go) so that Go tooling run
// in an enclosing module does not walk into deployed code.
//
// The cache is disposable: CodeDir re-creates a missing entry from the
// registry's object store, so a wiped cache or code deployed through another
// node is unpacked on first use.
//
// PruneCache (prune.go) removes the directories of code nothing references
// any more, but never one an instance may be using: CodeDir records which
// function revision each directory was handed to, and the caller names the
// revisions with live instances. Collect runs the registry's code
// collection and then the pruning.
package deploy
