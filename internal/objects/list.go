package objects

import (
	"context"
	"sort"
	"strings"
)

// ListInput selects a page of a bucket's keys, in UTF-8 byte order.
type ListInput struct {
	Prefix    string
	Delimiter string
	// After lists keys after it (exclusive): ListObjects' marker,
	// ListObjectsV2's start-after or its continuation token's key.
	After   string
	MaxKeys int
}

// ListPage is a page of keys: objects, and keys rolled up into common
// prefixes by the delimiter; each counts toward MaxKeys.
type ListPage struct {
	Objects        []Object
	CommonPrefixes []string
	Truncated      bool
	// Next is the last key or common prefix of the page: the After of the
	// next page.
	Next string
}

// List lists a page of tenant's bucket.
func (s *Service) List(_ context.Context, tenant, bucket string, in ListInput) (ListPage, error) {
	if _, ok := s.ix.bucket(tenant, bucket); !ok {
		return ListPage{}, noSuchBucket(bucket)
	}
	return s.ix.list(tenant, bucket, in), nil
}

func (ix *index) list(tenant, bucket string, in ListInput) ListPage {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b := ix.buckets[ixKey(tenant, bucket)]
	var page ListPage
	if b == nil || in.MaxKeys <= 0 {
		return page
	}
	keys := b.keys
	start := in.Prefix
	if in.After != "" && in.After >= start {
		start = in.After + "\x00" // the first key after After
		if cp, ok := rollUp(in.After, in.Prefix, in.Delimiter); ok {
			start = max(start, prefixEnd(cp)) // that prefix was listed whole
		}
	}
	i := sort.SearchStrings(keys, start)
	n := 0
	for i < len(keys) {
		k := keys[i]
		if !strings.HasPrefix(k, in.Prefix) {
			break
		}
		if n == in.MaxKeys {
			page.Truncated = true
			break
		}
		if cp, ok := rollUp(k, in.Prefix, in.Delimiter); ok {
			page.CommonPrefixes = append(page.CommonPrefixes, cp)
			page.Next = cp
			n++
			end := prefixEnd(cp)
			if end == "" {
				break // every later key has this prefix
			}
			i = sort.SearchStrings(keys, end)
			continue
		}
		page.Objects = append(page.Objects, *b.objs[k])
		page.Next = k
		n++
		i++
	}
	return page
}

// rollUp returns the common prefix key belongs to: the prefix and what
// follows it up to and including the first delimiter.
func rollUp(key, prefix, delim string) (string, bool) {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	j := strings.Index(key[len(prefix):], delim)
	if j < 0 {
		return "", false
	}
	return key[:len(prefix)+j+len(delim)], true
}

// prefixEnd is the least string greater than every string with prefix p
// ("" when there is none).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
