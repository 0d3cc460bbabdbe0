package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// codeZip is a Python function's zip with n incompressible bytes besides
// the handler, so that its code object's size is plain to see.
func codeZip(t *testing.T, n int) []byte {
	t.Helper()
	pad := make([]byte, n)
	if _, err := rand.Read(pad); err != nil {
		t.Fatal(err)
	}
	return makeZip(t,
		zipEntry{name: "app.py", body: "def handler(event, context):\n    return event\n"},
		zipEntry{name: "pad.bin", body: string(pad)})
}

func (e *env) deployZip(t *testing.T, name string, zip []byte) *fn.Function {
	t.Helper()
	f, _, err := e.dep.Deploy(context.Background(), "default", Request{
		Name: name, Runtime: "python3.12", Handler: "app.handler", Zip: zip, IgnoreManifest: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// codeBytes is the code object store's size as JetStream counts it.
func (e *env) codeBytes(t *testing.T) uint64 {
	t.Helper()
	s, err := e.reg.Storage(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.Stores {
		if st.Name == "code" && st.Kind == "objects" {
			return st.Bytes
		}
	}
	t.Fatalf("no code object store in %+v", s.Stores)
	return 0
}

func (e *env) hasCode(t *testing.T, sha string) bool {
	t.Helper()
	ok, err := e.reg.HasCode(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (e *env) unpacked(sha string) bool { return exists(filepath.Join(e.cacheDir, sha)) }

func TestCollectFreesDeletedFunctions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const size = 64 << 10
	keep := e.deployZip(t, "keep", codeZip(t, size))
	var gone []*fn.Function
	for i := range 10 {
		gone = append(gone, e.deployZip(t, "f"+strconv.Itoa(i), codeZip(t, size)))
	}
	before := e.codeBytes(t)
	for _, f := range gone {
		if err := e.reg.DeleteFunction(ctx, f.Tenant, f.Name); err != nil {
			t.Fatal(err)
		}
	}
	gc, pr, err := e.dep.Collect(ctx, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := e.codeBytes(t)
	t.Logf("code store %d → %d bytes; %+v; %+v", before, after, gc, pr)
	if gc.Deleted != 10 || gc.FreedBytes < 10*size || pr.Removed != 10 || pr.FreedBytes < 10*size {
		t.Fatalf("collection %+v, prune %+v: want 10 objects and 10 directories of ≥ %d bytes each freed", gc, pr, size)
	}
	if before-after < 10*size {
		t.Fatalf("code store went from %d to %d bytes: want at least %d freed", before, after, 10*size)
	}
	for _, f := range gone {
		if e.hasCode(t, f.CodeSHA256) || e.unpacked(f.CodeSHA256) {
			t.Fatalf("code of deleted %s still stored or unpacked", f.Name)
		}
	}
	if !e.hasCode(t, keep.CodeSHA256) || !e.unpacked(keep.CodeSHA256) {
		t.Fatal("code of the function kept was collected")
	}
	// Nothing left to do: a second run deletes nothing.
	if gc, pr, err := e.dep.Collect(ctx, 0, nil); err != nil || gc.Deleted != 0 || pr.Removed != 0 {
		t.Fatalf("second collection: %+v %+v %v", gc, pr, err)
	}
}

func TestCollectKeepsSharedCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	zip := codeZip(t, 1024)
	a := e.deployZip(t, "a", zip)
	b := e.deployZip(t, "b", zip)
	if a.CodeSHA256 != b.CodeSHA256 {
		t.Fatal("same zip, different sha")
	}
	if err := e.reg.DeleteFunction(ctx, "default", "a"); err != nil {
		t.Fatal(err)
	}
	if gc, pr, err := e.dep.Collect(ctx, 0, nil); err != nil || gc.Deleted != 0 || pr.Removed != 0 {
		t.Fatalf("collection with b left: %+v %+v %v", gc, pr, err)
	}
	if !e.hasCode(t, b.CodeSHA256) || !e.unpacked(b.CodeSHA256) {
		t.Fatal("code shared with b was collected")
	}
	if err := e.reg.DeleteFunction(ctx, "default", "b"); err != nil {
		t.Fatal(err)
	}
	if gc, _, err := e.dep.Collect(ctx, 0, nil); err != nil || gc.Deleted != 1 {
		t.Fatalf("collection after both were deleted: %+v %v", gc, err)
	}
}

func TestCollectAfterRedeployKeepsPublishedVersions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	v1 := e.deployZip(t, "f", codeZip(t, 1024))
	if _, err := e.dep.Publish(ctx, "default", "f", "", nil); err != nil {
		t.Fatal(err)
	}
	mid := e.deployZip(t, "f", codeZip(t, 1024)) // never published
	last := e.deployZip(t, "f", codeZip(t, 1024))
	gc, _, err := e.dep.Collect(ctx, 0, nil)
	if err != nil || gc.Deleted != 1 {
		t.Fatalf("collection after two redeploys: %+v %v; want the unpublished middle code deleted", gc, err)
	}
	if e.hasCode(t, mid.CodeSHA256) {
		t.Fatal("code no version references survived")
	}
	if !e.hasCode(t, v1.CodeSHA256) || !e.hasCode(t, last.CodeSHA256) {
		t.Fatal("code of version 1 or of $LATEST was collected")
	}
	if err := e.reg.DeleteVersion(ctx, "default", "f", "1"); err != nil {
		t.Fatal(err)
	}
	if gc, _, err := e.dep.Collect(ctx, 0, nil); err != nil || gc.Deleted != 1 || e.hasCode(t, v1.CodeSHA256) {
		t.Fatalf("collection after deleting version 1: %+v %v", gc, err)
	}
	// $LATEST still runs: its code is there and unpacks.
	if _, err := e.dep.CodeDir(ctx, last); err != nil {
		t.Fatal(err)
	}
}

func TestCollectKeepsHeldAndRecentCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.deployZip(t, "f", codeZip(t, 1024))
	if err := e.reg.DeleteFunction(ctx, "default", "f"); err != nil {
		t.Fatal(err)
	}
	// Within the grace period nothing is deleted.
	if gc, _, err := e.dep.Collect(ctx, 3600e9, nil); err != nil || gc.Deleted != 0 || gc.Kept != 1 {
		t.Fatalf("collection within grace: %+v %v", gc, err)
	}
	// A deploy in flight about to reuse the code holds it.
	release, err := e.reg.HoldCode(ctx, f.CodeSHA256)
	if err != nil {
		t.Fatal(err)
	}
	if gc, _, err := e.reg.CollectCode(ctx, 0); err != nil || gc.Deleted != 0 || !e.hasCode(t, f.CodeSHA256) {
		t.Fatalf("collection during a deploy holding the code: %+v %v", gc, err)
	}
	release(ctx)
	if gc, _, err := e.reg.CollectCode(ctx, 0); err != nil || gc.Deleted != 1 {
		t.Fatalf("collection after the hold's deploy ended: %+v %v", gc, err)
	}
}

func TestPruneKeepsCodeOfLiveInstances(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.dep.useGrace = 0
	f := e.deployZip(t, "f", codeZip(t, 1024))
	dir, err := e.dep.CodeDir(ctx, f) // an instance starts on it
	if err != nil {
		t.Fatal(err)
	}
	if err := e.reg.DeleteFunction(ctx, "default", "f"); err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{UseKey("default", "f", f.Revision): true}
	if _, pr, err := e.dep.Collect(ctx, 0, live); err != nil || pr.Removed != 0 || !exists(filepath.Join(dir, "app.py")) {
		t.Fatalf("prune with the instance alive: %+v %v", pr, err)
	}
	// The instance stopped: the directory goes.
	if pr, err := e.dep.PruneCache(ctx, nil, nil); err != nil || pr.Removed != 1 || exists(dir) {
		t.Fatalf("prune after the instance stopped: %+v %v", pr, err)
	}
	// Nothing but unpacked code is touched.
	left, err := os.ReadDir(e.cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range left {
		if _, err := hex.DecodeString(d.Name()); err == nil && len(d.Name()) == 64 {
			t.Fatalf("unpacked %s left", d.Name())
		}
	}
	if !exists(filepath.Join(e.cacheDir, "go.mod")) {
		t.Fatal("the cache's go.mod was pruned")
	}
}
