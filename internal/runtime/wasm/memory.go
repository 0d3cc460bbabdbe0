package wasm

import (
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// memLimit holds an instance's linear memory to the function's memory
// size: wazero asks it for every memory.grow, and a growth past the limit
// fails (memory.grow returns -1, as at the 4 GiB end of a 32-bit memory).
// The guest usually dies of it; denied tells that this was the cause, so
// the call is reported as Runtime.OutOfMemory. One limit per instance: a
// command's per-call modules share it, so peak spans the instance's life.
//
// A command instantiates a module per call: the memory its last module
// freed is kept as spare and reused (cleared as it is handed out again), so
// a call does not allocate, zero and later collect the guest's whole
// memory.
type memLimit struct {
	limit  uint64
	peak   atomic.Uint64
	denied atomic.Bool

	mu    sync.Mutex
	spare []byte
}

var _ experimental.MemoryAllocator = (*memLimit)(nil)

func (l *memLimit) Allocate(_, _ uint64) experimental.LinearMemory {
	l.mu.Lock()
	buf := l.spare
	l.spare = nil
	l.mu.Unlock()
	return &linearMemory{l: l, buf: buf[:0], reused: buf != nil}
}

// peakMB is the largest memory the instance's modules had, in MB, rounded
// up.
func (l *memLimit) peakMB() int {
	return int((l.peak.Load() + 1<<20 - 1) >> 20)
}

// linearMemory is one module's memory.
type linearMemory struct {
	l      *memLimit
	buf    []byte
	reused bool // buf's capacity holds an earlier module's bytes
}

// Reallocate grows the memory to size bytes, or returns nil past the limit.
// Capacity grows by a quarter at a time (up to the limit), so a guest that
// grows page by page is not copied on every step; bytes past the length
// were never handed out and are still zero.
func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > m.l.limit {
		m.l.denied.Store(true)
		return nil
	}
	if size > uint64(cap(m.buf)) {
		c := max(size, min(uint64(cap(m.buf))*5/4, m.l.limit))
		nb := make([]byte, size, c)
		copy(nb, m.buf)
		m.buf = nb
	} else {
		old := len(m.buf)
		m.buf = m.buf[:size]
		if m.reused {
			clear(m.buf[old:])
		}
	}
	for {
		p := m.l.peak.Load()
		if size <= p || m.l.peak.CompareAndSwap(p, size) {
			break
		}
	}
	return m.buf
}

// Free keeps the memory as its limit's spare, for the next module.
func (m *linearMemory) Free() {
	m.l.mu.Lock()
	if cap(m.buf) > cap(m.l.spare) {
		m.l.spare = m.buf
	}
	m.l.mu.Unlock()
	m.buf = nil
}
