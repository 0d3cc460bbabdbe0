package objects

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// index is the in-memory view of the stream's metadata records: buckets
// with their keys in sorted (UTF-8 byte) order, uploads with their parts.
// Only the watch writes it, in stream order; a commit waits until the
// watch has applied its sequence, so a node reads its own writes.
type index struct {
	mu      sync.RWMutex
	changed *sync.Cond
	pos     uint64               // last stream sequence applied
	caught  bool                 // the watch delivered every record stored at its start
	err     error                // the watch failed
	buckets map[string]*bucketIx // tenant "\x00" bucket
	uploads map[string]*uploadIx // tenant "\x00" upload id
}

type bucketIx struct {
	b    Bucket
	keys []string // sorted
	objs map[string]*Object
}

type uploadIx struct {
	u     Upload
	parts map[int]*Part
}

func newIndex() *index {
	ix := &index{buckets: map[string]*bucketIx{}, uploads: map[string]*uploadIx{}}
	ix.changed = sync.NewCond(ix.mu.RLocker())
	return ix
}

func ixKey(tenant, name string) string { return tenant + "\x00" + name }

// watch follows the whole stream from the start, applying every
// metadata record to the index (event records only advance its position:
// a commit's last message may be one).
func (s *Service) watch(ctx context.Context) error {
	c, err := s.js.OrderedConsumer(ctx, streamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("objects: watch: %w", err)
	}
	cc, err := c.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			s.log.Error("objects watch: no metadata", "err", err)
			return
		}
		var r record
		if strings.HasPrefix(m.Subject(), subjEvent) {
			r = record{}
		} else if err := json.Unmarshal(m.Data(), &r); err != nil {
			s.log.Error("objects watch: a record is not JSON: skipped", "subject", m.Subject(), "err", err)
			r = record{}
		}
		s.ix.apply(r, md.Sequence.Stream, md.NumPending == 0)
	})
	if err != nil {
		return fmt.Errorf("objects: watch: %w", err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		cc.Stop()
		s.ix.fail(ctx.Err())
	}()
	return nil
}

// fail wakes waiters with err once the watch stopped.
func (ix *index) fail(err error) {
	ix.mu.Lock()
	ix.err = err
	ix.mu.Unlock()
	ix.changed.Broadcast()
}

// waitCaughtUp returns once the watch delivered the records stored when
// it started.
func (ix *index) waitCaughtUp(ctx context.Context) error {
	return ix.wait(ctx, func() bool { return ix.caught })
}

// waitFor returns once the index applied sequence seq.
func (ix *index) waitFor(ctx context.Context, seq uint64) error {
	return ix.wait(ctx, func() bool { return ix.pos >= seq })
}

func (ix *index) wait(ctx context.Context, done func() bool) error {
	stop := context.AfterFunc(ctx, func() {
		ix.mu.Lock() // not between a waiter's check and its Wait
		ix.changed.Broadcast()
		ix.mu.Unlock()
	})
	defer stop()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for !done() {
		if ix.err != nil {
			return ix.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ix.changed.Wait()
	}
	return nil
}

func (ix *index) apply(r record, seq uint64, caught bool) {
	ix.mu.Lock()
	defer func() {
		ix.pos = max(ix.pos, seq)
		ix.caught = ix.caught || caught
		ix.mu.Unlock()
		ix.changed.Broadcast()
	}()
	bk := ixKey(r.Tenant, r.Bucket)
	switch {
	case r.Gone:
		delete(ix.buckets, bk)
	case r.B != nil:
		if b := ix.buckets[bk]; b != nil {
			b.b = *r.B
			return
		}
		ix.buckets[bk] = &bucketIx{b: *r.B, objs: map[string]*Object{}}
	case r.O != nil:
		b := ix.buckets[bk]
		if b == nil {
			return // a record of a deleted bucket
		}
		i, found := slices.BinarySearch(b.keys, r.O.Key)
		if r.O.Deleted {
			if found {
				b.keys = slices.Delete(b.keys, i, i+1)
				delete(b.objs, r.O.Key)
			}
			return
		}
		if !found {
			b.keys = slices.Insert(b.keys, i, r.O.Key)
		}
		r.O.Data = nil // read from the stream when asked for
		b.objs[r.O.Key] = r.O
	case r.U != nil:
		uk := ixKey(r.Tenant, r.U.ID)
		if r.U.Done {
			delete(ix.uploads, uk)
			return
		}
		if u := ix.uploads[uk]; u != nil {
			u.u = *r.U
			return
		}
		ix.uploads[uk] = &uploadIx{u: *r.U, parts: map[int]*Part{}}
	case r.P != nil:
		if u := ix.uploads[ixKey(r.Tenant, r.P.Upload)]; u != nil {
			u.parts[r.P.Number] = r.P
		}
	}
}

// bucket returns a copy of tenant's bucket record.
func (ix *index) bucket(tenant, name string) (Bucket, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b := ix.buckets[ixKey(tenant, name)]
	if b == nil {
		return Bucket{}, false
	}
	return b.b, true
}

// object returns tenant's object record (shared: do not modify).
func (ix *index) object(tenant, bucket, key string) (*Object, bool, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b := ix.buckets[ixKey(tenant, bucket)]
	if b == nil {
		return nil, false, false
	}
	o := b.objs[key]
	return o, true, o != nil
}

// bucketsOf lists tenant's buckets by name.
func (ix *index) bucketsOf(tenant string) []Bucket {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Bucket
	for k, b := range ix.buckets {
		if strings.HasPrefix(k, tenant+"\x00") {
			out = append(out, b.b)
		}
	}
	slices.SortFunc(out, func(a, b Bucket) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// bucketsNamed lists the tenants holding a bucket called name.
func (ix *index) bucketsNamed(name string) []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []string
	for k := range ix.buckets {
		if t, n, _ := strings.Cut(k, "\x00"); n == name {
			out = append(out, t)
		}
	}
	return out
}

// upload returns tenant's upload and a copy of its parts.
func (ix *index) upload(tenant, id string) (Upload, map[int]*Part, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	u := ix.uploads[ixKey(tenant, id)]
	if u == nil {
		return Upload{}, nil, false
	}
	parts := make(map[int]*Part, len(u.parts))
	for n, p := range u.parts {
		parts[n] = p
	}
	return u.u, parts, true
}

// uploadsOf lists tenant's uploads in bucket.
func (ix *index) uploadsOf(tenant, bucket string) []Upload {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Upload
	for k, u := range ix.uploads {
		if strings.HasPrefix(k, tenant+"\x00") && u.u.Bucket == bucket {
			out = append(out, u.u)
		}
	}
	slices.SortFunc(out, func(a, b Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return a.Initiated.Compare(b.Initiated)
	})
	return out
}

// files is the set of content files live records reference.
func (ix *index) files() map[string]bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	live := map[string]bool{}
	for _, b := range ix.buckets {
		for _, o := range b.objs {
			for _, sg := range o.Segments {
				live[sg.File] = true
			}
		}
	}
	for _, u := range ix.uploads {
		for _, p := range u.parts {
			live[p.File] = true
		}
	}
	return live
}
