package objects

import (
	"context"
	"fmt"
	"strings"
)

// CreateBucket creates tenant's bucket name.
func (s *Service) CreateBucket(ctx context.Context, tenant, name string) error {
	if !ValidBucketName(name) {
		return invalidBucketName(name)
	}
	l := s.bucketLock(tenant, name)
	l.Lock()
	defer l.Unlock()
	if _, ok := s.ix.bucket(tenant, name); ok {
		return bucketOwned(name)
	}
	_, err := s.commit(ctx, recordMsg(bucketSubject(tenant, name), record{Tenant: tenant, Bucket: name, B: &Bucket{Name: name, Created: now()}}))
	return err
}

// Bucket returns tenant's bucket.
func (s *Service) Bucket(_ context.Context, tenant, name string) (Bucket, error) {
	b, ok := s.ix.bucket(tenant, name)
	if !ok {
		return Bucket{}, noSuchBucket(name)
	}
	return b, nil
}

// Buckets lists tenant's buckets by name.
func (s *Service) Buckets(_ context.Context, tenant string) []Bucket { return s.ix.bucketsOf(tenant) }

// DeleteBucket deletes tenant's empty bucket.
func (s *Service) DeleteBucket(ctx context.Context, tenant, name string) error {
	l := s.bucketLock(tenant, name)
	l.Lock()
	defer l.Unlock()
	if _, ok := s.ix.bucket(tenant, name); !ok {
		return noSuchBucket(name)
	}
	if page := s.ix.list(tenant, name, ListInput{MaxKeys: 1}); len(page.Objects) > 0 || len(s.ix.uploadsOf(tenant, name)) > 0 {
		return bucketNotEmpty(name)
	}
	_, err := s.commit(ctx, recordMsg(bucketSubject(tenant, name), record{Tenant: tenant, Bucket: name, Gone: true}))
	return err
}

// updateBucket changes tenant's bucket record.
func (s *Service) updateBucket(ctx context.Context, tenant, name string, change func(*Bucket) error) error {
	l := s.bucketLock(tenant, name)
	l.Lock()
	defer l.Unlock()
	b, ok := s.ix.bucket(tenant, name)
	if !ok {
		return noSuchBucket(name)
	}
	if err := change(&b); err != nil {
		return err
	}
	_, err := s.commit(ctx, recordMsg(bucketSubject(tenant, name), record{Tenant: tenant, Bucket: name, B: &b}))
	return err
}

// PutCORS sets the bucket's CORS rules (nil deletes them).
func (s *Service) PutCORS(ctx context.Context, tenant, name string, rules []CORSRule) error {
	for i, r := range rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return MalformedXML("CORSRule %d needs at least one AllowedOrigin and one AllowedMethod", i+1)
		}
		for _, m := range r.AllowedMethods {
			switch m {
			case "GET", "PUT", "POST", "DELETE", "HEAD":
			default:
				return InvalidArgument("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
	}
	return s.updateBucket(ctx, tenant, name, func(b *Bucket) error { b.CORS = rules; return nil })
}

// CORS returns the bucket's CORS rules.
func (s *Service) CORS(ctx context.Context, tenant, name string) ([]CORSRule, error) {
	b, err := s.Bucket(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	if len(b.CORS) == 0 {
		return nil, noSuchCORS(name)
	}
	return b.CORS, nil
}

// Preflight finds the CORS rule of bucket name that allows a browser's
// preflight (origin, method, requested headers). tenant "" means the
// request carried no credentials: the bucket is found by name when
// exactly one tenant has one so named.
func (s *Service) Preflight(_ context.Context, tenant, name, origin, method string, headers []string) (*CORSRule, bool) {
	if tenant == "" {
		ts := s.ix.bucketsNamed(name)
		if len(ts) != 1 {
			return nil, false
		}
		tenant = ts[0]
	}
	b, ok := s.ix.bucket(tenant, name)
	if !ok {
		return nil, false
	}
	return MatchCORS(b.CORS, origin, method, headers)
}

// MatchCORS returns the first rule allowing origin, method and headers.
func MatchCORS(rules []CORSRule, origin, method string, headers []string) (*CORSRule, bool) {
	for i := range rules {
		r := &rules[i]
		if !anyMatch(r.AllowedOrigins, origin) || !contains(r.AllowedMethods, method) {
			continue
		}
		ok := true
		for _, h := range headers {
			if h = strings.TrimSpace(h); h != "" && !anyMatch(r.AllowedHeaders, strings.ToLower(h)) {
				ok = false
				break
			}
		}
		if ok {
			return r, true
		}
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// anyMatch matches s against patterns with at most one '*' wildcard each,
// case-insensitively.
func anyMatch(patterns []string, s string) bool {
	s = strings.ToLower(s)
	for _, p := range patterns {
		p = strings.ToLower(p)
		pre, suf, wild := strings.Cut(p, "*")
		if !wild && p == s || wild && len(s) >= len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// ARN is an S3 bucket's or object's ARN.
func ARN(bucket, key string) string {
	if key == "" {
		return "arn:aws:s3:::" + bucket
	}
	return fmt.Sprintf("arn:aws:s3:::%s/%s", bucket, key)
}

// Known reports whether any tenant has a bucket called name.
func (s *Service) Known(name string) bool { return len(s.ix.bucketsNamed(name)) > 0 }
