package gateway

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
)

// S3 payloads stream: an S3 request's body is never read into memory to
// check its signature. The signature covers the X-Amz-Content-Sha256
// header's value, which says how the body is protected:
//
//   - a hex SHA-256: the body is hashed as the handler reads it, and the
//     last Read fails if it does not match (the handler then stores
//     nothing);
//   - UNSIGNED-PAYLOAD: the body is passed as is;
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) and
//     STREAMING-UNSIGNED-PAYLOAD-TRAILER: the body is aws-chunked, decoded
//     as it is read, each chunk's signature chained from the request's
//     seed signature, and trailing checksums (x-amz-checksum-crc32, …)
//     verified at the end.
//
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html

const (
	unsignedPayload        = "UNSIGNED-PAYLOAD"
	streamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	emptySHA256            = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	maxChunkHeader         = 4 << 10
)

// streamS3 authenticates an S3 request without reading its body: it
// verifies the headers' signature over the declared payload hash and
// wraps r.Body with the payload's verification. It returns false when
// the request is not S3's or declares no payload hash (the body is then
// read and hashed as for every other service).
func (a *sigV4Auth) streamS3(r *http.Request, secret string, t time.Time) (bool, error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if a.service != "s3" || declared == "" {
		return false, nil
	}
	switch declared {
	case unsignedPayload, streamingSigned, streamingSignedTrailer, streamingUnsignedTrail:
	default:
		if b, err := hex.DecodeString(declared); err != nil || len(b) != sha256.Size {
			return true, badSignature("X-Amz-Content-Sha256 %q is neither a hex SHA-256 nor one of UNSIGNED-PAYLOAD, %s, %s, %s", declared, streamingSigned, streamingSignedTrailer, streamingUnsignedTrail)
		}
	}
	ok, err := a.verify(r, secret, declared, t)
	if err != nil {
		return true, err
	}
	if !ok {
		return true, badSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	trailer := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Amz-Trailer")))
	check, err := checksumOf(r.Header, trailer)
	if err != nil {
		return true, err
	}
	switch declared {
	case unsignedPayload:
		if check != nil {
			r.Body = &verifyingBody{r: r.Body, h: check.h, want: check.want, what: check.name}
		}
	case streamingSigned, streamingSignedTrailer, streamingUnsignedTrail:
		c := &chunkedBody{br: bufio.NewReaderSize(r.Body, 64<<10), body: r.Body, check: check, trailer: trailer}
		if declared != streamingUnsignedTrail {
			c.key = signingKey(secret, a.date, a.region, a.service)
			c.prev = hex.EncodeToString(a.signature)
			c.scope = strings.Join([]string{a.date, a.region, a.service, "aws4_request"}, "/")
			c.date = t.UTC().Format(amzDateFormat)
		}
		c.trailing = declared != streamingSigned
		r.Body = c
		r.ContentLength = -1
		if n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil && n >= 0 {
			r.ContentLength = n
		}
		r.Header.Set("Content-Encoding", strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Content-Encoding"), "aws-chunked"), ","))
		if r.Header.Get("Content-Encoding") == "" {
			r.Header.Del("Content-Encoding")
		}
	default:
		want, _ := hex.DecodeString(declared)
		r.Body = &verifyingBody{r: r.Body, h: sha256.New(), want: want, what: "X-Amz-Content-Sha256", sig: true, inner: check}
	}
	return true, nil
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// checksum is an x-amz-checksum-* to verify: from a header, or (want
// nil) from the trailer named name.
type checksum struct {
	name string
	h    hash.Hash
	want []byte
}

var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func newChecksum(name string) hash.Hash {
	switch name {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE()
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "x-amz-checksum-crc64nvme":
		return crc64.New(crc64NVME)
	case "x-amz-checksum-sha1":
		return sha1.New()
	case "x-amz-checksum-sha256":
		return sha256.New()
	}
	return nil
}

// checksumOf finds the checksum a request declares: the trailer it
// announces, else an x-amz-checksum-* header.
func checksumOf(h http.Header, trailer string) (*checksum, error) {
	if trailer != "" {
		c := newChecksum(trailer)
		if c == nil {
			return nil, invalidChecksum("X-Amz-Trailer %q is not a supported checksum: use x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1 or -sha256", trailer)
		}
		return &checksum{name: trailer, h: c}, nil
	}
	for k, v := range h {
		name := strings.ToLower(k)
		if !strings.HasPrefix(name, "x-amz-checksum-") || name == "x-amz-checksum-type" || name == "x-amz-checksum-algorithm" {
			continue
		}
		c := newChecksum(name)
		if c == nil {
			continue
		}
		want, err := base64.StdEncoding.DecodeString(v[0])
		if err != nil {
			return nil, invalidChecksum("%s is not base64", k)
		}
		return &checksum{name: name, h: c, want: want}, nil
	}
	return nil, nil
}

func invalidChecksum(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, "InvalidRequest", format, args...)
}

func badDigest(what string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum", what)
}

// verifyingBody hashes a body as it is read; at its end, a hash that
// does not match fails the last Read.
type verifyingBody struct {
	r     io.ReadCloser
	h     hash.Hash
	want  []byte
	what  string
	sig   bool      // a mismatch is a signature error
	inner *checksum // a header checksum checked too
	err   error
}

func (v *verifyingBody) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if v.inner != nil {
		v.inner.h.Write(p[:n])
	}
	if err == io.EOF {
		switch {
		case !bytes.Equal(v.h.Sum(nil), v.want) && v.sig:
			err = badSignature("X-Amz-Content-Sha256 does not match the body: the body was changed or the hash is wrong")
		case !bytes.Equal(v.h.Sum(nil), v.want):
			err = badDigest(v.what)
		case v.inner != nil && !bytes.Equal(v.inner.h.Sum(nil), v.inner.want):
			err = badDigest(v.inner.name)
		}
		v.err = err
	}
	return n, err
}

func (v *verifyingBody) Close() error { return v.r.Close() }

// chunkedBody decodes an aws-chunked body as it is read.
type chunkedBody struct {
	br       *bufio.Reader
	body     io.Closer
	left     int64 // bytes of the current chunk still to read
	chunk    hash.Hash
	wantSig  string
	key      []byte // signing key; nil: chunks are unsigned
	prev     string // the previous signature
	scope    string
	date     string
	check    *checksum
	trailer  string
	trailing bool // trailers follow the last chunk
	err      error
}

func (c *chunkedBody) Close() error { return c.body.Close() }

func (c *chunkedBody) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left == 0 {
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
		if c.left == 0 {
			c.err = c.finish()
			if c.err == nil {
				c.err = io.EOF
			}
			return 0, c.err
		}
	}
	n, err := c.br.Read(p[:min(int64(len(p)), c.left)])
	c.left -= int64(n)
	if c.chunk != nil {
		c.chunk.Write(p[:n])
	}
	if c.check != nil {
		c.check.h.Write(p[:n])
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && c.left == 0 {
		err = c.endChunk()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// line reads one CRLF-terminated line.
func (c *chunkedBody) line() (string, error) {
	var b []byte
	for {
		frag, err := c.br.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxChunkHeader {
			return "", malformedChunk("a chunk header or trailer is longer than %d bytes", maxChunkHeader)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
}

// next reads a chunk header: "SIZE[;chunk-signature=SIG]".
func (c *chunkedBody) next() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	size, ext, _ := strings.Cut(l, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if err != nil || n < 0 {
		return malformedChunk("chunk size %q is not hex", size)
	}
	c.left = n
	if c.key != nil {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok {
			return badSignature("an aws-chunked chunk has no chunk-signature")
		}
		c.wantSig = sig
		c.chunk = sha256.New()
		if n == 0 {
			return c.verifyChunk()
		}
	}
	return nil
}

// endChunk checks a data chunk's signature and reads its trailing CRLF.
func (c *chunkedBody) endChunk() error {
	if c.key != nil {
		if err := c.verifyChunk(); err != nil {
			return err
		}
	}
	if l, err := c.line(); err != nil || l != "" {
		return malformedChunk("a chunk does not end with CRLF")
	}
	return nil
}

func (c *chunkedBody) verifyChunk() error {
	sts := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", c.date, c.scope, c.prev, emptySHA256, hex.EncodeToString(c.chunk.Sum(nil))}, "\n")
	got := hex.EncodeToString(hmacSHA256(c.key, sts))
	if !hmac.Equal([]byte(got), []byte(c.wantSig)) {
		return badSignature("The chunk signature does not match: the body was changed or signed with another key")
	}
	c.prev = got
	return nil
}

// finish reads what follows the last chunk: trailers (checksum, trailer
// signature) and the final CRLF.
func (c *chunkedBody) finish() error {
	var trailers []string
	var trailerSig string
	got := map[string]string{}
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "x-amz-trailer-signature" {
			trailerSig = strings.TrimSpace(v)
			continue
		}
		trailers = append(trailers, k+":"+strings.TrimSpace(v)+"\n")
		got[k] = strings.TrimSpace(v)
	}
	if c.key != nil && c.trailing {
		sum := sha256.Sum256([]byte(strings.Join(trailers, "")))
		sts := strings.Join([]string{"AWS4-HMAC-SHA256-TRAILER", c.date, c.scope, c.prev, hex.EncodeToString(sum[:])}, "\n")
		if want := hex.EncodeToString(hmacSHA256(c.key, sts)); !hmac.Equal([]byte(want), []byte(trailerSig)) {
			return badSignature("The trailer signature does not match")
		}
	}
	if c.check == nil {
		return nil
	}
	want := c.check.want
	if c.trailer != "" {
		v, ok := got[c.trailer]
		if !ok {
			return invalidChecksum("the trailer %s announced by X-Amz-Trailer is missing", c.trailer)
		}
		var err error
		if want, err = base64.StdEncoding.DecodeString(v); err != nil {
			return invalidChecksum("the trailer %s is not base64", c.trailer)
		}
	}
	if !bytes.Equal(c.check.h.Sum(nil), want) {
		return badDigest(c.check.name)
	}
	return nil
}

func malformedChunk(format string, args ...any) error {
	return fn.Errorf(http.StatusBadRequest, "IncompleteBody", "the aws-chunked body is malformed: %s", fmt.Sprintf(format, args...))
}
