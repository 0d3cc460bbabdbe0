package process

import (
	"bytes"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// memory tracks an instance's peak resident memory.
//
// The true peak is VmHWM in /proc/<pid>/status, but the kernel formats the
// whole file on every read (≈ 8 µs), against ≈ 1 µs for the resident size
// in /proc/<pid>/statm. So every call reads statm, and status is read on the
// first call and every statusEvery calls after: the reported peak is the
// larger of both, exact for memory still held at the end of a call, and at
// most statusEvery calls late for a spike that was freed within a call.
// Both files stay open and are re-read with pread at offset 0, into a
// buffer lent by readPool: an idle instance keeps none.
type memory struct {
	mu            sync.Mutex // Close may race a crashed call's last sample
	status, statm int        // file descriptors, -1 when unavailable
	calls         int
	peakKB        int64
}

// readPool lends the buffers status and statm are read into; status is
// about 1.5 KB.
var readPool = sync.Pool{New: func() any { return new([2048]byte) }}

const statusEvery = 16

var pageKB = int64(unix.Getpagesize() / 1024)

func openMemory(pid int) *memory {
	m := &memory{status: -1, statm: -1}
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	if fd, err := unix.Open(dir+"status", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		m.status = fd
	}
	if fd, err := unix.Open(dir+"statm", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		m.statm = fd
	}
	return m
}

// peakMB samples the process and returns its peak resident memory so far,
// in MB rounded up.
func (m *memory) peakMB() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls%statusEvery == 0 {
		m.sampleStatus()
	} else {
		m.sampleStatm()
	}
	m.calls++
	return int((m.peakKB + 1023) / 1024)
}

// residentMB samples the process's resident size alone, from statm, and
// returns the largest seen so far, in MB rounded up: for callers that learn
// the true peak elsewhere and need only a cheap sign that it moved.
func (m *memory) residentMB() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sampleStatm()
	return int((m.peakKB + 1023) / 1024)
}

func (m *memory) sampleStatus() {
	buf := readPool.Get().(*[2048]byte)
	defer readPool.Put(buf)
	b := m.read(m.status, buf)
	i := bytes.Index(b, []byte("VmHWM:"))
	if i < 0 {
		return
	}
	if kb := leadingInt(bytes.TrimLeft(b[i+len("VmHWM:"):], " \t")); kb > m.peakKB {
		m.peakKB = kb
	}
}

func (m *memory) sampleStatm() {
	buf := readPool.Get().(*[2048]byte)
	defer readPool.Put(buf)
	b := m.read(m.statm, buf) // "size resident shared text lib data dt", in pages
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return
	}
	if kb := leadingInt(b[i+1:]) * pageKB; kb > m.peakKB {
		m.peakKB = kb
	}
}

func (m *memory) read(fd int, buf *[2048]byte) []byte {
	if fd < 0 {
		return nil
	}
	n, err := unix.Pread(fd, buf[:], 0)
	if err != nil || n <= 0 {
		return nil
	}
	return buf[:n]
}

func leadingInt(b []byte) int64 {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

func (m *memory) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fd := range []int{m.status, m.statm} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	m.status, m.statm = -1, -1
}
