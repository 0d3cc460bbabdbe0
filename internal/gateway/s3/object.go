package s3

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/objects"
)

// headersOf reads the standard headers and x-amz-meta-* stored with an
// object.
func headersOf(r *http.Request) (objects.Headers, map[string]string) {
	h := objects.Headers{
		ContentType:        r.Header.Get("Content-Type"),
		ContentEncoding:    r.Header.Get("Content-Encoding"),
		ContentDisposition: r.Header.Get("Content-Disposition"),
		ContentLanguage:    r.Header.Get("Content-Language"),
		CacheControl:       r.Header.Get("Cache-Control"),
		Expires:            r.Header.Get("Expires"),
	}
	var meta map[string]string
	for k, v := range r.Header {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok {
			if meta == nil {
				meta = map[string]string{}
			}
			meta[name] = strings.Join(v, ",")
		}
	}
	return h, meta
}

// contentMD5 decodes a Content-MD5 header (nil when absent).
func contentMD5(r *http.Request) ([]byte, error) {
	v := r.Header.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 16 {
		return nil, objects.InvalidDigest()
	}
	return b, nil
}

func (a *API) putObject(c *call) error {
	if err := c.authorize("s3:PutObject", c.bucket, c.key); err != nil {
		return err
	}
	md5, err := contentMD5(c.r)
	if err != nil {
		return err
	}
	tags, err := parseTagging(c.r.Header.Get("x-amz-tagging"))
	if err != nil {
		return err
	}
	if err := checkLength(c.r, objects.MaxObjectSize); err != nil {
		return err
	}
	h, meta := headersOf(c.r)
	o, err := a.svc.Put(c.ctx, c.tenant, objects.PutInput{
		Bucket: c.bucket, Key: c.key, Body: c.r.Body, Size: c.r.ContentLength, ContentMD5: md5,
		Headers: h, Meta: meta, Tags: tags, Caller: c.caller(),
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", `"`+o.ETag+`"`)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// checkLength requires a body's length (S3 needs it: Content-Length, or
// X-Amz-Decoded-Content-Length for aws-chunked) and bounds it.
func checkLength(r *http.Request, limit int64) error {
	if r.ContentLength < 0 {
		return fn.Errorf(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header (X-Amz-Decoded-Content-Length for an aws-chunked body)")
	}
	if r.ContentLength > limit {
		return fn.Errorf(http.StatusBadRequest, objects.CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed size of %d bytes", limit)
	}
	return nil
}

// objectHeaders writes an object's stored headers.
func objectHeaders(w http.ResponseWriter, o *objects.Object, q map[string][]string) {
	h := w.Header()
	set := func(name, stored, override string) {
		if v := q[override]; len(v) > 0 {
			stored = v[0]
		}
		if stored != "" {
			h.Set(name, stored)
		}
	}
	ct := o.Headers.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	set("Content-Type", ct, "response-content-type")
	set("Content-Encoding", o.Headers.ContentEncoding, "response-content-encoding")
	set("Content-Disposition", o.Headers.ContentDisposition, "response-content-disposition")
	set("Content-Language", o.Headers.ContentLanguage, "response-content-language")
	set("Cache-Control", o.Headers.CacheControl, "response-cache-control")
	set("Expires", o.Headers.Expires, "response-expires")
	h.Set("ETag", `"`+o.ETag+`"`)
	h.Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	for k, v := range o.Meta {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if len(o.Tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(o.Tags)))
	}
}

func (a *API) getObject(c *call) error {
	if err := c.authorize("s3:GetObject", c.bucket, c.key); err != nil {
		return err
	}
	o, content, err := a.svc.Get(c.ctx, c.tenant, c.bucket, c.key)
	if err != nil {
		return err
	}
	defer content.Close()
	if err := conditions(c.r.Header, o, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", true); err != nil {
		if fn.AsError(err).Status == http.StatusNotModified {
			c.w.Header().Set("ETag", `"`+o.ETag+`"`)
			c.w.Header().Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
		}
		return err
	}
	off, n := int64(0), o.Size
	status := http.StatusOK
	if rh := c.r.Header.Get("Range"); rh != "" {
		if start, length, ok, err := parseRange(rh, o.Size); err != nil {
			return err
		} else if ok {
			off, n, status = start, length, http.StatusPartialContent
			c.w.Header().Set("Content-Range", "bytes "+itoa(off)+"-"+itoa(off+n-1)+"/"+itoa(o.Size))
		}
	}
	objectHeaders(c.w, o, c.q)
	c.w.Header().Set("Content-Length", itoa(n))
	c.w.WriteHeader(status)
	if c.r.Method == http.MethodHead {
		return nil
	}
	bp := copyBuf()
	defer putCopyBuf(bp)
	if _, err := io.CopyBuffer(c.w, content.Range(off, n), *bp); err != nil {
		a.log.Debug("s3 get: the client went away", "bucket", c.bucket, "key", c.key, "err", err)
	}
	return nil
}

// conditions applies a conditional request's headers (RFC 7232's order,
// as S3 does): a failed If-Match or If-Unmodified-Since is 412, a
// matching If-None-Match or an unmodified If-Modified-Since is 304 for
// a read (412 for a copy source).
func conditions(h http.Header, o *objects.Object, ifMatch, ifNoneMatch, ifModSince, ifUnmodSince string, read bool) error {
	if v := h.Get(ifMatch); v != "" {
		if !etagMatch(v, o.ETag) {
			return objects.PreconditionFailed(ifMatch)
		}
	} else if v := h.Get(ifUnmodSince); v != "" {
		if t, err := http.ParseTime(v); err == nil && o.Modified.Truncate(time.Second).After(t) {
			return objects.PreconditionFailed(ifUnmodSince)
		}
	}
	notModified := func(header string) error {
		if read {
			return objects.NotModified()
		}
		return objects.PreconditionFailed(header)
	}
	if v := h.Get(ifNoneMatch); v != "" {
		if etagMatch(v, o.ETag) {
			return notModified(ifNoneMatch)
		}
	} else if v := h.Get(ifModSince); v != "" {
		if t, err := http.ParseTime(v); err == nil && !o.Modified.Truncate(time.Second).After(t) {
			return notModified(ifModSince)
		}
	}
	return nil
}

func etagMatch(list, etag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || strings.Trim(v, `"`) == etag {
			return true
		}
	}
	return false
}

// parseRange reads a single "bytes=" range. A malformed header is
// ignored (the whole object is sent), as S3 does; a range starting past
// the end is InvalidRange.
func parseRange(h string, size int64) (off, n int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	if first == "" { // suffix: the last N bytes
		k, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || k < 0 {
			return 0, 0, false, nil
		}
		if k == 0 {
			return 0, 0, false, objects.InvalidRange(size)
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	start, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || start < 0 {
		return 0, 0, false, nil
	}
	end := size - 1
	if last != "" {
		e, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || e < start {
			return 0, 0, false, nil
		}
		end = min(e, size-1)
	}
	if start >= size {
		return 0, 0, false, objects.InvalidRange(size)
	}
	return start, end - start + 1, true, nil
}

func (a *API) deleteObject(c *call) error {
	if err := c.authorize("s3:DeleteObject", c.bucket, c.key); err != nil {
		return err
	}
	if err := a.svc.Delete(c.ctx, c.tenant, c.bucket, c.key, c.caller()); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name      `xml:"DeleteResult"`
	NS      string        `xml:"xmlns,attr"`
	Deleted []deletedXM   `xml:"Deleted"`
	Errors  []deleteError `xml:"Error"`
}

type deletedXM struct {
	Key string `xml:"Key"`
}

type deleteError struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (a *API) deleteObjects(c *call) error {
	var in deleteRequest
	if err := readXML(c, &in); err != nil {
		return err
	}
	if len(in.Objects) > objects.MaxDeleteBatch {
		return objects.MalformedXML("a Delete lists at most %d objects", objects.MaxDeleteBatch)
	}
	if _, err := a.svc.Bucket(c.ctx, c.tenant, c.bucket); err != nil {
		return err
	}
	out := deleteResult{NS: s3NS}
	for _, o := range in.Objects {
		err := c.authorize("s3:DeleteObject", c.bucket, o.Key)
		if err == nil {
			err = a.svc.Delete(c.ctx, c.tenant, c.bucket, o.Key, c.caller())
		}
		if err != nil {
			e := fn.AsError(err)
			code := e.Type
			if m, ok := s3Codes[code]; ok {
				code = m.code
			}
			out.Errors = append(out.Errors, deleteError{Key: o.Key, Code: code, Message: e.Message})
			continue
		}
		if !in.Quiet {
			out.Deleted = append(out.Deleted, deletedXM{Key: o.Key})
		}
	}
	return writeXML(c.w, http.StatusOK, out)
}

// copySource parses x-amz-copy-source: "[/]BUCKET/KEY[?versionId=…]",
// URL-encoded.
func copySource(h string) (bucket, key string, err error) {
	h, version, _ := strings.Cut(h, "?")
	if version != "" && version != "versionId=null" {
		return "", "", notImplemented("object versions (x-amz-copy-source with a versionId)")
	}
	s, uerr := url.PathUnescape(h)
	if uerr != nil {
		return "", "", objects.InvalidArgument("x-amz-copy-source is not URL-encoded: %v", uerr)
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(s, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", objects.InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

type copyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func copyCheck(h http.Header) func(*objects.Object) error {
	return func(src *objects.Object) error {
		return conditions(h, src, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
			"x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since", false)
	}
}

func (a *API) copyObject(c *call) error {
	sb, sk, err := copySource(c.r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	if err := c.authorize("s3:GetObject", sb, sk); err != nil {
		return err
	}
	if err := c.authorize("s3:PutObject", c.bucket, c.key); err != nil {
		return err
	}
	in := objects.CopyInput{SrcBucket: sb, SrcKey: sk, Bucket: c.bucket, Key: c.key, Check: copyCheck(c.r.Header), Caller: c.caller()}
	switch d := c.r.Header.Get("x-amz-metadata-directive"); d {
	case "", "COPY":
	case "REPLACE":
		in.Replace = true
		in.Headers, in.Meta = headersOf(c.r)
	default:
		return objects.InvalidArgument("Unknown metadata directive %q: use COPY or REPLACE", d)
	}
	switch d := c.r.Header.Get("x-amz-tagging-directive"); d {
	case "", "COPY":
	case "REPLACE":
		tags, err := parseTagging(c.r.Header.Get("x-amz-tagging"))
		if err != nil {
			return err
		}
		in.Tags = tags
		if in.Tags == nil {
			in.Tags = map[string]string{}
		}
	default:
		return objects.InvalidArgument("Unknown tagging directive %q: use COPY or REPLACE", d)
	}
	o, err := a.svc.Copy(c.ctx, c.tenant, in)
	if err != nil {
		return err
	}
	return writeXML(c.w, http.StatusOK, copyResult{NS: s3NS, LastModified: o.Modified.Format(timeISO), ETag: `"` + o.ETag + `"`})
}
