package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Code objects are collected by mark and sweep, not by counters that could
// drift: a collection reads every function ($LATEST) and every published
// version from their KV buckets, and deletes the code objects none of them
// names. Several nodes may collect at once (a delete of a deleted object
// does nothing); a crash in the middle leaves garbage for the next run,
// never a dangling reference.
//
// A deploy in flight is about to reference code that nothing references
// yet. It says so with a hold (HoldCode) in the "codeholds" bucket before
// it stores or reuses the code, and marks the hold done after recording the
// function. A collection keeps the code of every active hold, of every hold
// done after its mark began less the grace period (that deploy's record may
// be newer than what the mark read), and every object stored within the
// grace period. It re-reads the hold right before each delete. Holds of a
// deploy that crashed expire with the bucket's TTL.

// codeHoldTTL bounds how long a hold outlives its deploy (or a crash).
const codeHoldTTL = 24 * time.Hour

const (
	holdActive = "active"
	holdDone   = "done"
)

// HoldCode keeps code sha from collection while a deploy is about to
// reference it. release records the deploy's end; until the hold's TTL the
// code stays protected from collections that began before it.
func (r *Registry) HoldCode(ctx context.Context, sha string) (release func(context.Context), err error) {
	if err := checkSHA(sha); err != nil {
		return nil, err
	}
	if _, err := r.codeHolds.Put(ctx, sha, []byte(holdActive)); err != nil {
		return nil, fmt.Errorf("registry: hold code %s: %w", sha, err)
	}
	return func(ctx context.Context) {
		if _, err := r.codeHolds.Put(ctx, sha, []byte(holdDone)); err != nil {
			r.log.Warn("could not release a code hold: the code stays until the hold expires",
				"code_sha256", sha, "ttl", codeHoldTTL, "err", err)
		}
	}, nil
}

// GCResult is what one collection found and did.
type GCResult struct {
	Objects    int   // code objects stored before the collection
	Referenced int   // distinct shas named by functions and versions
	Deleted    int   // objects deleted
	FreedBytes int64 // their size
	Kept       int   // unreferenced objects kept (grace period, holds)
}

// CollectCode deletes the code objects that no function and no published
// version references, except those stored within grace and those held by a
// deploy (see above). It returns the referenced shas, for pruning caches.
func (r *Registry) CollectCode(ctx context.Context, grace time.Duration) (GCResult, map[string]bool, error) {
	var res GCResult
	start := time.Now()
	refs, err := r.referencedCode(ctx)
	if err != nil {
		return res, nil, err
	}
	res.Referenced = len(refs.shas)
	objs, err := r.code.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return res, nil, fmt.Errorf("registry: list code objects: %w", err)
	}
	res.Objects = len(objs)
	cutoff := start.Add(-grace)
	for _, o := range objs {
		if refs.shas[o.Name] || o.Deleted {
			continue
		}
		if !o.ModTime.Before(cutoff) {
			res.Kept++
			continue
		}
		held, err := r.held(ctx, o.Name, cutoff)
		if err != nil {
			return res, nil, err
		}
		if held {
			res.Kept++
			continue
		}
		if err := r.code.Delete(ctx, o.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return res, nil, fmt.Errorf("registry: delete code %s: %w", o.Name, err)
		}
		res.Deleted++
		res.FreedBytes += int64(o.Size)
		r.log.Debug("code deleted: no function or version references it", "code_sha256", o.Name, "bytes", o.Size)
	}
	return res, refs.shas, nil
}

// held reports whether a deploy holds sha: active, or done at or after cutoff.
func (r *Registry) held(ctx context.Context, sha string, cutoff time.Time) (bool, error) {
	e, err := r.codeHolds.Get(ctx, sha)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("registry: read code hold %s: %w", sha, err)
	}
	return string(e.Value()) == holdActive || !e.Created().Before(cutoff), nil
}

// codeRefs is the mark phase's result: every referenced sha, and per tenant
// the shas its functions and versions name.
type codeRefs struct {
	shas      map[string]bool
	byTenant  map[string]map[string]bool
	functions map[string]int // tenant → functions
	versions  map[string]int // tenant → published versions
}

// referencedCode reads the functions and versions buckets from the store
// itself (not the cache, which may lag behind another node's writes).
func (r *Registry) referencedCode(ctx context.Context) (*codeRefs, error) {
	refs := &codeRefs{
		shas: map[string]bool{}, byTenant: map[string]map[string]bool{},
		functions: map[string]int{}, versions: map[string]int{},
	}
	for _, b := range []struct {
		kv    jetstream.KeyValue
		count map[string]int
	}{{r.functions, refs.functions}, {r.versions, refs.versions}} {
		err := r.eachValue(ctx, b.kv, func(key string, value []byte) {
			var v struct {
				CodeSHA256 string `json:"code_sha256"`
			}
			tenant, _, _ := strings.Cut(key, ".")
			if err := json.Unmarshal(value, &v); err != nil || v.CodeSHA256 == "" {
				// Undecodable: it names nothing we can keep; say so, as
				// its code may now be collected.
				r.log.Warn("code collection: an entry names no code", "bucket", b.kv.Bucket(), "key", key, "err", err)
				return
			}
			b.count[tenant]++
			refs.shas[v.CodeSHA256] = true
			if refs.byTenant[tenant] == nil {
				refs.byTenant[tenant] = map[string]bool{}
			}
			refs.byTenant[tenant][v.CodeSHA256] = true
		})
		if err != nil {
			return nil, err
		}
	}
	return refs, nil
}

// eachValue calls f with every current key and value of kv, read through
// one watcher up to the end of the initial values.
func (r *Registry) eachValue(ctx context.Context, kv jetstream.KeyValue, f func(key string, value []byte)) error {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("registry: read %s: %w", kv.Bucket(), err)
	}
	defer func() {
		if err := w.Stop(); err != nil {
			r.log.Debug("stopping a bucket reader", "bucket", kv.Bucket(), "err", err)
		}
	}()
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("registry: read %s: watcher closed early", kv.Bucket())
			}
			if e == nil {
				return nil
			}
			f(e.Key(), e.Value())
		case <-ctx.Done():
			return fmt.Errorf("registry: read %s: %w", kv.Bucket(), ctx.Err())
		}
	}
}
