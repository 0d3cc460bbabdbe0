package objects

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/updraft-dev/updraft/internal/fn"
)

// copyBufs are the buffers bodies are copied through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// written is a content file just written.
type written struct {
	file string
	size int64
	md5  []byte
}

// readInline reads a small body of announced size into memory, checking
// its length and Content-MD5 as writeContent does.
func readInline(body io.Reader, size int64, wantMD5 []byte) ([]byte, []byte, error) {
	data := make([]byte, size+1)
	n, err := io.ReadFull(body, data)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		var fe *fn.Error
		if errors.As(err, &fe) {
			return nil, nil, err
		}
		return nil, nil, fn.Errorf(400, CodeIncompleteBody, "could not read the request body: %v", err)
	}
	if int64(n) > size {
		return nil, nil, InvalidArgument("the body is longer than its Content-Length %d", size)
	}
	if int64(n) < size {
		return nil, nil, IncompleteBody(int64(n), size)
	}
	data = data[:n]
	sum := md5.Sum(data)
	if wantMD5 != nil && !bytes.Equal(sum[:], wantMD5) {
		return nil, nil, BadDigest("Content-MD5")
	}
	return data, sum[:], nil
}

// writeContent streams body into a new content file while hashing it,
// fsyncs the file and its directory, and returns it. size >= 0 is the
// body's announced length (a shorter body is IncompleteBody); wantMD5,
// when set, must match (else BadDigest). On any error the file is
// removed: a body whose read fails (a signature or checksum that does not
// verify, a client that went away) leaves nothing behind.
func (s *Service) writeContent(body io.Reader, size int64, wantMD5 []byte) (written, error) {
	id := newID()
	f, err := os.OpenFile(s.path(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return written{}, fn.Internal(fmt.Errorf("objects: create a content file: %w", err))
	}
	h := md5.New()
	bp := copyBufs.Get().(*[]byte)
	var src io.Reader = body
	if size >= 0 {
		src = io.LimitReader(body, size+1)
	}
	n, err := io.CopyBuffer(io.MultiWriter(f, h), src, *bp)
	copyBufs.Put(bp)
	fail := func(e error) (written, error) {
		_ = f.Close()
		_ = os.Remove(s.path(id))
		return written{}, e
	}
	if err != nil {
		var fe *fn.Error
		if errors.As(err, &fe) {
			return fail(err)
		}
		return fail(fn.Errorf(400, CodeIncompleteBody, "could not read the request body: %v", err))
	}
	if size >= 0 && n != size {
		if n > size {
			return fail(InvalidArgument("the body is longer than its Content-Length %d", size))
		}
		return fail(IncompleteBody(n, size))
	}
	sum := h.Sum(nil)
	if wantMD5 != nil && !bytes.Equal(sum, wantMD5) {
		return fail(BadDigest("Content-MD5"))
	}
	if err := f.Sync(); err != nil {
		return fail(fn.Internal(fmt.Errorf("objects: fsync a content file: %w", err)))
	}
	if err := f.Close(); err != nil {
		return fail(fn.Internal(fmt.Errorf("objects: close a content file: %w", err)))
	}
	if err := s.syncDir(); err != nil {
		_ = os.Remove(s.path(id))
		return written{}, err
	}
	return written{file: id, size: n, md5: sum}, nil
}

func (s *Service) syncDir() error {
	d, err := os.Open(s.cfg.Dir)
	if err != nil {
		return fn.Internal(fmt.Errorf("objects: open the content directory: %w", err))
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fn.Internal(fmt.Errorf("objects: fsync the content directory: %w", err))
	}
	return nil
}

// linkContent gives a copy of segs its own content files (hard links: no
// bytes are copied), so removing one object's files never touches
// another's.
func (s *Service) linkContent(segs []Segment) ([]Segment, error) {
	out := make([]Segment, 0, len(segs))
	for _, sg := range segs {
		id := newID()
		if err := os.Link(s.path(sg.File), s.path(id)); err != nil {
			s.removeFiles(segFiles(out))
			return nil, fmt.Errorf("objects: link a content file: %w", err)
		}
		out = append(out, Segment{File: id, Size: sg.Size})
	}
	if err := s.syncDir(); err != nil {
		s.removeFiles(segFiles(out))
		return nil, err
	}
	return out, nil
}

func segFiles(segs []Segment) []string {
	out := make([]string, len(segs))
	for i, sg := range segs {
		out[i] = sg.File
	}
	return out
}

// Content is an open object's bytes: its segment files, opened when the
// object was looked up, so a later overwrite or delete does not cut a
// reader short.
type Content struct {
	files []*os.File
	segs  []Segment
	data  []byte // an inline object's
}

func (s *Service) open(ctx context.Context, tenant, bucket string, o *Object) (*Content, error) {
	if o.Inline {
		data, err := s.inlineData(ctx, tenant, bucket, o)
		if err != nil {
			return nil, err
		}
		return &Content{data: data}, nil
	}
	c := &Content{segs: o.Segments}
	for _, sg := range o.Segments {
		f, err := os.Open(s.path(sg.File))
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.files = append(c.files, f)
	}
	return c, nil
}

// Range returns a reader of n bytes from off.
func (c *Content) Range(off, n int64) io.Reader {
	if c.data != nil {
		return bytes.NewReader(c.data[off : off+n])
	}
	var rs []io.Reader
	for i, sg := range c.segs {
		if n <= 0 {
			break
		}
		if off >= sg.Size {
			off -= sg.Size
			continue
		}
		k := min(sg.Size-off, n)
		rs = append(rs, io.NewSectionReader(c.files[i], off, k))
		n -= k
		off = 0
	}
	return io.MultiReader(rs...)
}

// Close closes the files.
func (c *Content) Close() error {
	var err error
	for _, f := range c.files {
		err = errors.Join(err, f.Close())
	}
	return err
}

// ETag of a multipart object: the MD5 of the parts' binary MD5s, "-N".
func multipartETag(md5s [][]byte) string {
	h := md5.New()
	for _, m := range md5s {
		h.Write(m)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(md5s))
}

// inlineData reads an inline object's bytes from its record in the
// stream; os.ErrNotExist when the record is no longer o (replaced).
func (s *Service) inlineData(ctx context.Context, tenant, bucket string, o *Object) ([]byte, error) {
	m, err := s.stream.GetLastMsgForSubject(ctx, objectSubject(tenant, bucket, o.Key))
	if err != nil {
		return nil, fmt.Errorf("objects: read an inline object: %w", err)
	}
	var r record
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return nil, fmt.Errorf("objects: read an inline object: %w", err)
	}
	if r.O == nil || r.O.Deleted || r.O.ETag != o.ETag || !r.O.Modified.Equal(o.Modified) {
		return nil, os.ErrNotExist
	}
	if r.O.Data == nil {
		return []byte{}, nil
	}
	return r.O.Data, nil
}
