package objects

import (
	"context"
	"encoding/hex"
	"io"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// CreateUpload starts a multipart upload of key.
func (s *Service) CreateUpload(ctx context.Context, tenant, bucket, key string, h Headers, meta, tags map[string]string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if err := checkTags(tags); err != nil {
		return "", err
	}
	if _, ok := s.ix.bucket(tenant, bucket); !ok {
		return "", noSuchBucket(bucket)
	}
	u := &Upload{ID: newID(), Bucket: bucket, Key: key, Initiated: now(), Headers: h, Meta: meta, Tags: tags}
	if _, err := s.commit(ctx, recordMsg(uploadSubject(tenant, u.ID), record{Tenant: tenant, Bucket: bucket, U: u})); err != nil {
		return "", err
	}
	return u.ID, nil
}

// uploadOf returns tenant's upload id of bucket/key.
func (s *Service) uploadOf(tenant, bucket, key, id string) (Upload, map[int]*Part, error) {
	if _, ok := s.ix.bucket(tenant, bucket); !ok {
		return Upload{}, nil, noSuchBucket(bucket)
	}
	u, parts, ok := s.ix.upload(tenant, id)
	if !ok || u.Bucket != bucket || u.Key != key {
		return Upload{}, nil, noSuchUpload(id)
	}
	return u, parts, nil
}

// PartInput is one part of a multipart upload.
type PartInput struct {
	Bucket, Key, Upload string
	Number              int
	Body                io.Reader
	Size                int64
	ContentMD5          []byte
}

// UploadPart stores a part; uploading a part number again replaces it.
func (s *Service) UploadPart(ctx context.Context, tenant string, in PartInput) (*Part, error) {
	if in.Number < 1 || in.Number > MaxPartNumber {
		return nil, InvalidArgument("Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
	}
	if _, _, err := s.uploadOf(tenant, in.Bucket, in.Key, in.Upload); err != nil {
		return nil, err
	}
	w, err := s.writeContent(in.Body, in.Size, in.ContentMD5)
	if err != nil {
		return nil, err
	}
	p := &Part{Upload: in.Upload, Number: in.Number, Size: w.size, ETag: hex.EncodeToString(w.md5), File: w.file, Modified: now()}
	kl := s.keyLock(tenant, in.Upload, strconv.Itoa(in.Number))
	kl.Lock()
	defer kl.Unlock()
	_, parts, err := s.uploadOf(tenant, in.Bucket, in.Key, in.Upload)
	if err == nil {
		_, err = s.commit(ctx, recordMsg(partSubject(tenant, in.Upload, in.Number), record{Tenant: tenant, Bucket: in.Bucket, P: p}))
	}
	if err != nil {
		s.removeFiles([]string{w.file})
		return nil, err
	}
	if old := parts[in.Number]; old != nil {
		s.removeFiles([]string{old.File})
	}
	return p, nil
}

// CompletedPart names a part and the ETag its upload returned.
type CompletedPart struct {
	Number int
	ETag   string // unquoted
}

// Complete assembles the listed parts into the object: no bytes are
// copied, the object's segments are the parts' content files.
func (s *Service) Complete(ctx context.Context, tenant, bucket, key, id string, list []CompletedPart, c Caller) (*Object, error) {
	u, parts, err := s.uploadOf(tenant, bucket, key, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, MalformedXML("The XML you provided was not well-formed or did not validate against our published schema: list at least one Part")
	}
	var segs []Segment
	var md5s [][]byte
	var size int64
	used := map[string]bool{}
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return nil, invalidPartOrder()
		}
	}
	for _, cp := range list {
		p := parts[cp.Number]
		if p == nil {
			return nil, invalidPart(cp.Number, "was not uploaded")
		}
		if cp.ETag != p.ETag {
			return nil, invalidPart(cp.Number, "has ETag "+strconv.Quote(p.ETag)+", not "+strconv.Quote(cp.ETag))
		}
	}
	for i, cp := range list {
		p := parts[cp.Number]
		if i < len(list)-1 && p.Size < MinPartSize {
			return nil, entityTooSmall(cp.Number, p.Size)
		}
		m, _ := hex.DecodeString(p.ETag)
		md5s = append(md5s, m)
		segs = append(segs, Segment{File: p.File, Size: p.Size})
		size += p.Size
		used[p.File] = true
	}
	o := &Object{Key: key, Size: size, ETag: multipartETag(md5s), Modified: now(), Headers: u.Headers, Meta: u.Meta, Tags: u.Tags, Segments: segs}
	done := u
	done.Done = true
	if err := s.commitWith(ctx, tenant, bucket, o, "ObjectCreated:CompleteMultipartUpload", c,
		recordMsg(uploadSubject(tenant, id), record{Tenant: tenant, Bucket: bucket, U: &done})); err != nil {
		return nil, err
	}
	var unused []string
	for _, p := range parts {
		if !used[p.File] {
			unused = append(unused, p.File)
		}
	}
	s.removeFiles(unused)
	s.purgeParts(ctx, tenant, id)
	return o, nil
}

// Abort ends an upload and removes its parts.
func (s *Service) Abort(ctx context.Context, tenant, bucket, key, id string) error {
	u, parts, err := s.uploadOf(tenant, bucket, key, id)
	if err != nil {
		return err
	}
	u.Done = true
	if _, err := s.commit(ctx, recordMsg(uploadSubject(tenant, id), record{Tenant: tenant, Bucket: bucket, U: &u})); err != nil {
		return err
	}
	var files []string
	for _, p := range parts {
		files = append(files, p.File)
	}
	s.removeFiles(files)
	s.purgeParts(ctx, tenant, id)
	return nil
}

// purgeParts drops the part records of a finished upload (they are
// already ignored: their upload is gone).
func (s *Service) purgeParts(ctx context.Context, tenant, id string) {
	st, err := s.js.Stream(ctx, streamName)
	if err == nil {
		err = st.Purge(ctx, jetstream.WithPurgeSubject(subjPart+tok(tenant)+"."+id+".>"))
	}
	if err != nil {
		s.log.Warn("purge the part records of a finished upload", "upload", id, "err", err)
	}
}

// Parts lists an upload's parts by number, after the part number marker.
func (s *Service) Parts(_ context.Context, tenant, bucket, key, id string, after, max int) (Upload, []Part, bool, error) {
	u, parts, err := s.uploadOf(tenant, bucket, key, id)
	if err != nil {
		return Upload{}, nil, false, err
	}
	var out []Part
	for _, p := range parts {
		if p.Number > after {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b Part) int { return a.Number - b.Number })
	truncated := len(out) > max
	if truncated {
		out = out[:max]
	}
	return u, out, truncated, nil
}

// Uploads lists the bucket's uploads in progress, by key.
func (s *Service) Uploads(_ context.Context, tenant, bucket string) ([]Upload, error) {
	if _, ok := s.ix.bucket(tenant, bucket); !ok {
		return nil, noSuchBucket(bucket)
	}
	return s.ix.uploadsOf(tenant, bucket), nil
}

// CopyPart uploads a part from a range of an existing object.
func (s *Service) CopyPart(ctx context.Context, tenant string, in PartInput, srcBucket, srcKey string, rng func(size int64) (int64, int64, error), check func(*Object) error) (*Part, *Object, error) {
	src, content, err := s.Get(ctx, tenant, srcBucket, srcKey)
	if err != nil {
		return nil, nil, err
	}
	defer content.Close()
	if check != nil {
		if err := check(src); err != nil {
			return nil, nil, err
		}
	}
	off, n := int64(0), src.Size
	if rng != nil {
		if off, n, err = rng(src.Size); err != nil {
			return nil, nil, err
		}
	}
	in.Body, in.Size, in.ContentMD5 = content.Range(off, n), n, nil
	p, err := s.UploadPart(ctx, tenant, in)
	return p, src, err
}
