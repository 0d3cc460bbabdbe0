package wasm

import (
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// memLimit holds an instance's linear memory to the function's memory
// size: wazero asks it for every memory.grow, and a growth past the limit
// fails (memory.grow returns -1, as at the 4 GiB end of a 32-bit memory).
// The guest usually dies of it; denied tells that this was the cause, so
// the call is reported as Runtime.OutOfMemory. One limit per instance: a
// command's per-call modules share it, so peak spans the instance's life.
//
// A memory is an anonymous mapping of the whole limit, reserved up front
// outside the Go heap: growing it never copies, untouched pages cost no
// RAM, and freeing it gives the pages back to the OS at once. A command
// instantiates a module per call: the mapping its last module freed is kept
// as spare and reused, its used pages dropped (they read as zeros again).
type memLimit struct {
	limit  uint64
	peak   atomic.Uint64
	denied atomic.Bool

	mu       sync.Mutex
	spare    *mapping
	released bool // the instance closed: a freed mapping is unmapped
}

var _ experimental.MemoryAllocator = (*memLimit)(nil)

// mapping is a reserved range of memory and how much of it was handed out.
type mapping struct {
	mem  []byte // len: the reservation
	used uint64
}

// Allocate reserves the memory of one module: up to the limit, or the
// module's own maximum if that is lower. If the reservation fails (the
// address space is exhausted), the memory cannot grow at all and the
// module fails to start.
func (l *memLimit) Allocate(_, maxBytes uint64) experimental.LinearMemory {
	size := min(l.limit, maxBytes)
	l.mu.Lock()
	m := l.spare
	l.spare = nil
	l.mu.Unlock()
	if m != nil && uint64(len(m.mem)) >= size {
		if m.used > 0 {
			unix.Madvise(m.mem[:pageAlign(m.used)], unix.MADV_DONTNEED)
			m.used = 0
		}
		return &linearMemory{l: l, m: m}
	}
	if m != nil {
		unix.Munmap(m.mem)
	}
	return &linearMemory{l: l, reserve: size}
}

// peakMB is the largest memory the instance's modules had, in MB, rounded
// up.
func (l *memLimit) peakMB() int {
	return int((l.peak.Load() + 1<<20 - 1) >> 20)
}

// release unmaps the spare memory, and any freed from now on: the
// instance is closing.
func (l *memLimit) release() {
	l.mu.Lock()
	m := l.spare
	l.spare, l.released = nil, true
	l.mu.Unlock()
	if m != nil {
		unix.Munmap(m.mem)
	}
}

func pageAlign(n uint64) uint64 {
	const page = 4096
	return (n + page - 1) &^ (page - 1)
}

// linearMemory is one module's memory.
type linearMemory struct {
	l       *memLimit
	m       *mapping
	reserve uint64 // what to map on the first Reallocate, when m is nil
}

// Reallocate grows the memory to size bytes, or returns nil past the limit.
func (lm *linearMemory) Reallocate(size uint64) []byte {
	if size > lm.l.limit {
		lm.l.denied.Store(true)
		return nil
	}
	if lm.m == nil {
		mem, err := unix.Mmap(-1, 0, int(max(pageAlign(lm.reserve), 4096)), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
		if err != nil {
			return nil
		}
		lm.m = &mapping{mem: mem}
	}
	if size > uint64(len(lm.m.mem)) {
		return nil // past the module's own maximum: wazero checks it first
	}
	lm.m.used = max(lm.m.used, size)
	for {
		p := lm.l.peak.Load()
		if size <= p || lm.l.peak.CompareAndSwap(p, size) {
			break
		}
	}
	return lm.m.mem[:size:size]
}

// Free keeps the mapping as its limit's spare, for the next module.
func (lm *linearMemory) Free() {
	if lm.m == nil {
		return
	}
	lm.l.mu.Lock()
	old := lm.l.spare
	if lm.l.released {
		old = lm.m
	} else {
		lm.l.spare = lm.m
	}
	lm.l.mu.Unlock()
	if old != nil {
		unix.Munmap(old.mem)
	}
	lm.m = nil
}
