package tables

import (
	"sort"
	"sync"
)

// index is one table's in-memory key index: partition key → its items'
// sort keys in order, with each item's stream sequence, size and TTL. It
// holds keys only; items are read from their subjects. It is rebuilt
// from the data stream at start and kept by the store's watch, and the
// write path applies its own writes at once (read-your-writes on this
// node).
type index struct {
	mu     sync.RWMutex
	parts  map[string]*partition // by hash canon
	hashes []string              // hash canons, sorted: the scan order
	gone   map[string]uint64     // deleted item id → the delete's sequence
	count  int
	bytes  int64
}

type partition struct {
	hash    keyPart
	entries []entry // sorted by range key (one entry without a range key)
}

type entry struct {
	key     itemKey
	seq     uint64
	size    int
	expires int64 // TTL epoch seconds; 0 none
}

func newIndex() *index {
	return &index{parts: map[string]*partition{}, gone: map[string]uint64{}}
}

// find returns the position of k's range key in p, and whether it is there.
func (p *partition) find(k itemKey) (int, bool) {
	if k.rng == nil {
		return 0, len(p.entries) == 1
	}
	i := sort.Search(len(p.entries), func(i int) bool { return p.entries[i].key.rng.compare(*k.rng) >= 0 })
	return i, i < len(p.entries) && p.entries[i].key.rng.compare(*k.rng) == 0
}

// put records item k at seq unless a later change of it is known.
func (x *index) put(e entry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id := e.key.id()
	if g, ok := x.gone[id]; ok {
		if g >= e.seq {
			return
		}
		delete(x.gone, id)
	}
	p, ok := x.parts[e.key.hash.canon]
	if !ok {
		p = &partition{hash: e.key.hash}
		x.parts[e.key.hash.canon] = p
		i := sort.SearchStrings(x.hashes, e.key.hash.canon)
		x.hashes = append(x.hashes, "")
		copy(x.hashes[i+1:], x.hashes[i:])
		x.hashes[i] = e.key.hash.canon
	}
	i, found := p.find(e.key)
	if found {
		old := &p.entries[i]
		if old.seq >= e.seq {
			return
		}
		x.bytes += int64(e.size - old.size)
		*old = e
		return
	}
	p.entries = append(p.entries, entry{})
	copy(p.entries[i+1:], p.entries[i:])
	p.entries[i] = e
	x.count++
	x.bytes += int64(e.size)
}

// remove records the deletion of k at seq unless a later change is known.
// The write path remembers the deletion (gone) until the watch delivers
// it: the watch runs in stream order, so once it has, no older version
// of k can come after, and the memory is dropped.
func (x *index) remove(k itemKey, seq uint64) { x.removeFrom(k, seq, false) }

// removeWatched is remove for the watch's own delivery of a deletion.
func (x *index) removeWatched(k itemKey, seq uint64) { x.removeFrom(k, seq, true) }

func (x *index) removeFrom(k itemKey, seq uint64, watched bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id := k.id()
	if g, ok := x.gone[id]; ok && g >= seq {
		if watched && g == seq {
			delete(x.gone, id) // the watch caught up with this deletion
		}
		return
	}
	p, ok := x.parts[k.hash.canon]
	if ok {
		if i, found := p.find(k); found {
			if p.entries[i].seq > seq {
				return
			}
			x.count--
			x.bytes -= int64(p.entries[i].size)
			p.entries = append(p.entries[:i], p.entries[i+1:]...)
			if len(p.entries) == 0 {
				delete(x.parts, k.hash.canon)
				j := sort.SearchStrings(x.hashes, k.hash.canon)
				x.hashes = append(x.hashes[:j], x.hashes[j+1:]...)
			}
		}
	}
	if watched {
		delete(x.gone, id)
		return
	}
	x.gone[id] = seq
}

// stats are ItemCount and TableSizeBytes.
func (x *index) stats() (count int, bytes int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.count, x.bytes
}

// partitionKeys returns the keys of partition hash in sort-key order
// (reversed when !forward), a copy.
func (x *index) partitionKeys(hash string, forward bool) []entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, ok := x.parts[hash]
	if !ok {
		return nil
	}
	out := make([]entry, len(p.entries))
	copy(out, p.entries)
	if !forward {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// scanFrom returns up to n entries in scan order after the item
// afterHash/afterKey (from the start when afterHash is ""), with the
// hash canons of the partitions they span; keep filters partitions.
func (x *index) scanFrom(after *itemKey, n int, keep func(hash string) bool) []entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []entry
	start := 0
	if after != nil {
		start = sort.SearchStrings(x.hashes, after.hash.canon)
	}
	for hi := start; hi < len(x.hashes) && len(out) < n; hi++ {
		h := x.hashes[hi]
		if !keep(h) {
			continue
		}
		p := x.parts[h]
		from := 0
		if after != nil && h == after.hash.canon {
			i, found := p.find(*after)
			if found || after.rng == nil {
				i++
			}
			if after.rng == nil {
				i = len(p.entries)
			}
			from = i
		}
		for _, e := range p.entries[min(from, len(p.entries)):] {
			out = append(out, e)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// expired returns the entries whose TTL is before now (epoch seconds).
func (x *index) expired(now int64, n int) []entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []entry
	for _, h := range x.hashes {
		for _, e := range x.parts[h].entries {
			if e.expires > 0 && e.expires < now {
				out = append(out, e)
				if len(out) == n {
					return out
				}
			}
		}
	}
	return out
}

// setExpiry sets the TTL of the given items that are still there.
func (x *index) setExpiry(es []entry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range es {
		p, ok := x.parts[e.key.hash.canon]
		if !ok {
			continue
		}
		if i, found := p.find(e.key); found {
			p.entries[i].expires = e.expires
		}
	}
}
