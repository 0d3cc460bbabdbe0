package process

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxLogBytes caps the output kept per invocation (and for init); the rest
// is read and dropped so that the process never blocks on a full pipe.
const maxLogBytes = 1 << 20

// aLongTimeAgo is a read deadline that has already passed: setting it makes
// a blocked Read on the pipe return at once.
var aLongTimeAgo = time.Unix(1, 0)

// logPipe owns the read end of an instance's merged stdout/stderr pipe and
// the goroutine that drains it.
//
// Attribution. A runtime writes its output with write(2) before it posts its
// result, so when the result arrives every byte of that invocation's output
// is either already in buf (the reader consumed it) or still in the pipe.
// take asks the reader for a cut: it sets an expired read deadline, the
// reader's Read returns os.ErrDeadlineExceeded (immediately, or as soon as
// the Read it is in returns), and the reader — the pipe's only reader, so
// nothing races it — reads exactly the FIONREAD bytes still queued, clears
// the deadline, and hands the accumulated output over. Output written after
// the result (between invocations) stays for the next cut.
type logPipe struct {
	f  *os.File
	rc syscall.RawConn

	cut  chan []byte   // the reader's answer to a cut request
	done chan struct{} // closed when the reader returned (EOF or Close)

	// Owned by the reader goroutine until done is closed; then by take.
	buf     []byte
	dropped int64
	scratch []byte
}

func newLogPipe(f *os.File) (*logPipe, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &logPipe{
		f:       f,
		rc:      rc,
		cut:     make(chan []byte),
		done:    make(chan struct{}),
		scratch: make([]byte, 16<<10),
	}, nil
}

// run is the reader goroutine.
func (p *logPipe) run() {
	defer close(p.done)
	for {
		n, err := p.f.Read(p.scratch)
		p.add(p.scratch[:n])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			p.drainQueued()
			p.cut <- p.snapshot()
		default: // EOF: every writer is gone; or the file was closed
			return
		}
	}
}

// drainQueued reads the bytes queued in the pipe right now and clears the
// read deadline. Reader goroutine only.
func (p *logPipe) drainQueued() {
	queued := 0
	p.rc.Control(func(fd uintptr) {
		queued, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) // FIONREAD
	})
	p.f.SetReadDeadline(time.Time{})
	// Those bytes are there and only this goroutine reads the pipe, so
	// these Reads do not block.
	for queued > 0 {
		n, err := p.f.Read(p.scratch[:min(queued, len(p.scratch))])
		p.add(p.scratch[:n])
		queued -= n
		if err != nil {
			return
		}
	}
}

// add keeps b within the cap and counts the rest as dropped.
func (p *logPipe) add(b []byte) {
	if room := maxLogBytes - len(p.buf); len(b) > room {
		p.dropped += int64(len(b) - room)
		b = b[:room]
	}
	p.buf = append(p.buf, b...)
}

// snapshot returns the output gathered since the last one, in a slice the
// caller owns, and resets the buffer for reuse.
func (p *logPipe) snapshot() []byte {
	if len(p.buf) == 0 && p.dropped == 0 {
		return nil
	}
	var out []byte
	if cap(p.buf) > 64<<10 {
		out, p.buf = p.buf, nil // hand over a big buffer rather than copy it
	} else {
		out = append([]byte(nil), p.buf...)
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

// take returns everything the process wrote since the last take. Callers
// are sequential (the instance's owner).
func (p *logPipe) take() []byte {
	select {
	case <-p.done:
		return p.snapshot()
	default:
	}
	p.f.SetReadDeadline(aLongTimeAgo) // fails only once closed: then done follows
	select {
	case b := <-p.cut:
		return b
	case <-p.done:
		return p.snapshot() // the reader has returned: its buffer is ours
	}
}

// close stops the reader and waits for it.
func (p *logPipe) close() {
	p.f.Close() // a blocked Read returns os.ErrClosed
	<-p.done
}
