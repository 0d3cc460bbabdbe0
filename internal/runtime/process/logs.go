package process

import (
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxLogBytes caps the output kept per invocation (and for init); the rest
// is read and dropped so that the process never blocks on a full pipe.
const maxLogBytes = 1 << 20

// logPipe owns the read end of an instance's merged stdout/stderr pipe: a
// reader goroutine drains it as output arrives, and take cuts the output
// into invocations.
//
// Why a cut is exact. Every read(2) of the pipe happens with mu held, and
// the bytes it returns are appended to buf before mu is released; the reader
// waits for more output (in the netpoller) without holding mu. A runtime
// writes its output before it posts its result, so when the result has
// arrived, each byte of that invocation's output is either in buf or still
// queued in the pipe. take holds mu — so no read is half done — and reads
// exactly the bytes FIONREAD reports queued, then hands buf over. Output
// written after the result stays for the next cut: lines printed between
// invocations go to the next one.
//
// A cut costs an uncontended lock and an ioctl: the reader goroutine is not
// woken, and no deadline or channel is involved.
type logPipe struct {
	f    *os.File
	rc   syscall.RawConn
	done chan struct{} // closed when the reader returned (EOF or close)

	mu      sync.Mutex // held across every read(2) of the pipe
	buf     []byte     // output since the last cut, at most maxLogBytes
	dropped int64      // bytes over the cap since the last cut
}

// scratchPool lends read buffers: a read lasts microseconds, so instances
// share a few buffers instead of each keeping 32 KiB while it sits idle.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readInto reads from fd into a pooled buffer and appends what it got.
// p.mu must be held.
func (p *logPipe) readInto(fd uintptr, max int) (int, error) {
	sp := scratchPool.Get().(*[]byte)
	s := *sp
	if max < len(s) {
		s = s[:max]
	}
	n, err := unix.Read(int(fd), s)
	if n > 0 {
		p.add(s[:n])
	}
	scratchPool.Put(sp)
	return n, err
}

func newLogPipe(f *os.File) (*logPipe, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &logPipe{f: f, rc: rc, done: make(chan struct{})}, nil
}

// run is the reader goroutine: it returns at EOF (every writer is gone) or
// when close closes the pipe.
func (p *logPipe) run() {
	defer close(p.done)
	eof := false
	for !eof {
		// The callback reads until the pipe is empty, then returns false
		// to wait for readability; the netpoller is edge-triggered, so it
		// must not stop earlier.
		err := p.rc.Read(func(fd uintptr) bool {
			for {
				p.mu.Lock()
				n, err := p.readInto(fd, 32<<10)
				p.mu.Unlock()
				switch {
				case n > 0 || err == unix.EINTR:
				case err == unix.EAGAIN:
					return false
				default: // 0 bytes: EOF; or a read error
					eof = true
					return true
				}
			}
		})
		if err != nil {
			return
		}
	}
}

// take returns everything the process wrote before now and since the last
// take, in a slice the caller owns. Callers are sequential.
func (p *logPipe) take() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rc.Control(func(fd uintptr) { // fails once closed: nothing to read then
		queued, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD
		for err == nil && queued > 0 {
			var n int
			n, err = p.readInto(fd, queued)
			if n > 0 {
				queued -= n
			} else if err == unix.EINTR {
				err = nil
			} else {
				break
			}
		}
	})
	return p.snapshot()
}

// add keeps b within the cap and counts the rest as dropped. mu held.
func (p *logPipe) add(b []byte) {
	if room := maxLogBytes - len(p.buf); len(b) > room {
		p.dropped += int64(len(b) - room)
		b = b[:room]
	}
	p.buf = append(p.buf, b...)
}

// snapshot returns the output gathered since the last one, with a note of
// what the cap dropped, and resets the buffer for reuse. mu held.
func (p *logPipe) snapshot() []byte {
	if len(p.buf) == 0 && p.dropped == 0 {
		return nil
	}
	var out []byte
	if cap(p.buf) > 64<<10 {
		out, p.buf = p.buf, nil // hand a big buffer over rather than copy it
	} else {
		out = append(make([]byte, 0, len(p.buf)), p.buf...)
		p.buf = p.buf[:0]
	}
	if p.dropped > 0 {
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		out = append(out, "[updraft] log output truncated: "...)
		out = strconv.AppendInt(out, p.dropped, 10)
		out = append(out, " bytes dropped\n"...)
		p.dropped = 0
	}
	return out
}

// close closes the pipe and waits for the reader to return.
func (p *logPipe) close() {
	p.f.Close() // the reader's wait for readability returns an error
	<-p.done
}
