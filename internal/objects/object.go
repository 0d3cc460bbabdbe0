package objects

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"unicode/utf8"
)

// PutInput is an upload of one object.
type PutInput struct {
	Bucket, Key string
	Body        io.Reader
	Size        int64  // the announced length; -1 when unknown
	ContentMD5  []byte // the Content-MD5 to verify; nil: none
	Headers     Headers
	Meta        map[string]string
	Tags        map[string]string
	Caller      Caller
}

func checkKey(key string) error {
	if len(key) == 0 {
		return InvalidArgument("An object key must not be empty")
	}
	if len(key) > MaxKeyLen {
		return keyTooLong(len(key))
	}
	if !utf8.ValidString(key) {
		return InvalidArgument("An object key must be UTF-8")
	}
	return nil
}

// Put stores an object: its bytes stream to a content file, and the
// object exists once its record (and its notification events) are
// committed.
func (s *Service) Put(ctx context.Context, tenant string, in PutInput) (*Object, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if _, ok := s.ix.bucket(tenant, in.Bucket); !ok {
		return nil, noSuchBucket(in.Bucket)
	}
	if in.Size >= 0 && in.Size <= InlineMax {
		data, sum, err := readInline(in.Body, in.Size, in.ContentMD5)
		if err != nil {
			return nil, err
		}
		o := &Object{Key: in.Key, Size: in.Size, ETag: hex.EncodeToString(sum), Modified: now(),
			Headers: in.Headers, Meta: in.Meta, Tags: in.Tags, Inline: true, Data: data}
		if err := s.commitObject(ctx, tenant, in.Bucket, o, "ObjectCreated:Put", in.Caller); err != nil {
			return nil, err
		}
		return o, nil
	}
	w, err := s.writeContent(in.Body, in.Size, in.ContentMD5)
	if err != nil {
		return nil, err
	}
	o := &Object{
		Key: in.Key, Size: w.size, ETag: hex.EncodeToString(w.md5), Modified: now(),
		Headers: in.Headers, Meta: in.Meta, Tags: in.Tags, Segments: []Segment{{File: w.file, Size: w.size}},
	}
	if err := s.commitObject(ctx, tenant, in.Bucket, o, "ObjectCreated:Put", in.Caller); err != nil {
		s.removeFiles([]string{w.file})
		return nil, err
	}
	return o, nil
}

// commitObject commits o (or its tombstone) with the events it selects,
// then removes the content files of the version it replaced.
func (s *Service) commitObject(ctx context.Context, tenant, bucket string, o *Object, eventName string, c Caller) error {
	return s.commitWith(ctx, tenant, bucket, o, eventName, c)
}

// commitWith is commitObject with more records in the same atomic batch.
func (s *Service) commitWith(ctx context.Context, tenant, bucket string, o *Object, eventName string, c Caller, more ...pending) error {
	bl := s.bucketLock(tenant, bucket)
	bl.RLock()
	defer bl.RUnlock()
	b, ok := s.ix.bucket(tenant, bucket)
	if !ok {
		return noSuchBucket(bucket)
	}
	kl := s.keyLock(tenant, bucket, o.Key)
	kl.Lock()
	defer kl.Unlock()
	old, _, _ := s.ix.object(tenant, bucket, o.Key)
	msgs := append([]pending{recordMsg(objectSubject(tenant, bucket, o.Key), record{Tenant: tenant, Bucket: bucket, O: o})},
		events(tenant, b, eventName, o, c)...)
	msgs = append(msgs, more...)
	if _, err := s.commit(ctx, msgs...); err != nil {
		return err
	}
	if old != nil {
		var gone []string
		for _, sg := range old.Segments {
			if !slices.ContainsFunc(o.Segments, func(n Segment) bool { return n.File == sg.File }) {
				gone = append(gone, sg.File)
			}
		}
		s.removeFiles(gone)
	}
	return nil
}

// Head returns tenant's object record.
func (s *Service) Head(_ context.Context, tenant, bucket, key string) (*Object, error) {
	o, bok, ok := s.ix.object(tenant, bucket, key)
	switch {
	case !bok:
		return nil, noSuchBucket(bucket)
	case !ok:
		return nil, noSuchKey(key)
	}
	return o, nil
}

// Get returns tenant's object with its bytes opened; the caller closes
// the Content.
func (s *Service) Get(ctx context.Context, tenant, bucket, key string) (*Object, *Content, error) {
	for range 3 {
		o, err := s.Head(ctx, tenant, bucket, key)
		if err != nil {
			return nil, nil, err
		}
		c, err := s.open(ctx, tenant, bucket, o)
		if errors.Is(err, os.ErrNotExist) {
			continue // replaced between the lookup and the open
		}
		if err != nil {
			return nil, nil, err
		}
		return o, c, nil
	}
	return nil, nil, noSuchKey(key)
}

// Delete deletes tenant's object; deleting a missing key succeeds, as in
// S3.
func (s *Service) Delete(ctx context.Context, tenant, bucket, key string, c Caller) error {
	_, bok, ok := s.ix.object(tenant, bucket, key)
	if !bok {
		return noSuchBucket(bucket)
	}
	if !ok {
		return nil
	}
	return s.commitObject(ctx, tenant, bucket, &Object{Key: key, Deleted: true, Modified: now()}, "ObjectRemoved:Delete", c)
}

// CopyInput copies an object. Replace false keeps the source's headers,
// metadata and tags (x-amz-metadata-directive COPY).
type CopyInput struct {
	SrcBucket, SrcKey string
	Bucket, Key       string
	Replace           bool
	Headers           Headers
	Meta              map[string]string
	Tags              map[string]string // nil: the source's (or none when replacing)
	Check             func(src *Object) error
	Caller            Caller
}

// Copy copies an object within tenant's buckets.
func (s *Service) Copy(ctx context.Context, tenant string, in CopyInput) (*Object, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	src, err := s.Head(ctx, tenant, in.SrcBucket, in.SrcKey)
	if err != nil {
		return nil, err
	}
	if in.Check != nil {
		if err := in.Check(src); err != nil {
			return nil, err
		}
	}
	if in.SrcBucket == in.Bucket && in.SrcKey == in.Key && !in.Replace {
		return nil, invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	var segs []Segment
	var data []byte
	if src.Inline {
		if data, err = s.inlineData(ctx, tenant, in.SrcBucket, src); err != nil {
			return nil, err
		}
	} else if segs, err = s.linkContent(src.Segments); err != nil {
		return nil, err
	}
	o := &Object{Key: in.Key, Size: src.Size, ETag: src.ETag, Modified: now(), Headers: src.Headers, Meta: src.Meta, Tags: src.Tags,
		Segments: segs, Inline: src.Inline, Data: data}
	if in.Replace {
		o.Headers, o.Meta, o.Tags = in.Headers, in.Meta, nil
	}
	if in.Tags != nil {
		o.Tags = in.Tags
	}
	if err := s.commitObject(ctx, tenant, in.Bucket, o, "ObjectCreated:Copy", in.Caller); err != nil {
		s.removeFiles(segFiles(segs))
		return nil, err
	}
	return o, nil
}

// PutTags replaces the object's tags (nil deletes them).
func (s *Service) PutTags(ctx context.Context, tenant, bucket, key string, tags map[string]string) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	bl := s.bucketLock(tenant, bucket)
	bl.RLock()
	defer bl.RUnlock()
	kl := s.keyLock(tenant, bucket, key)
	kl.Lock()
	defer kl.Unlock()
	o, err := s.Head(ctx, tenant, bucket, key)
	if err != nil {
		return err
	}
	n := *o
	n.Tags = tags
	if o.Inline {
		if n.Data, err = s.inlineData(ctx, tenant, bucket, o); err != nil {
			return err
		}
	}
	_, err = s.commit(ctx, recordMsg(objectSubject(tenant, bucket, key), record{Tenant: tenant, Bucket: bucket, O: &n}))
	return err
}

func checkTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return invalidTag("Object tags cannot be greater than %d", MaxTags)
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > 128 || utf8.RuneCountInString(v) > 256 {
			return invalidTag("The TagKey %q is empty or longer than 128 characters, or its value longer than 256", k)
		}
	}
	return nil
}
