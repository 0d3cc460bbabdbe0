package compat

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// TestS3ReadsWithSDK: ranges (suffix, open, past the end), conditional
// GETs (304, 412), presigned GET and PUT with plain HTTP, copies and
// tags.
func TestS3ReadsWithSDK(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := p.s3()
	b := aws.String("reads")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("digits"), Body: strings.NewReader("0123456789"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	for rng, want := range map[string]string{"bytes=2-4": "234", "bytes=-3": "789", "bytes=7-": "789", "bytes=8-100": "89", "bytes=-100": "0123456789"} {
		out, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), Range: aws.String(rng)})
		if got != want || !strings.HasSuffix(*out.ContentRange, "/10") {
			t.Errorf("Range %s: %q (%v), want %q", rng, got, out.ContentRange, want)
		}
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), Range: aws.String("bytes=10-")})
	wantS3Error(t, err, "InvalidRange", 416)

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), IfNoneMatch: put.ETag})
	wantS3Error(t, err, "NotModified", 304)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), IfMatch: aws.String(`"0000"`)})
	wantS3Error(t, err, "PreconditionFailed", 412)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	wantS3Error(t, err, "NotModified", 304)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
	wantS3Error(t, err, "PreconditionFailed", 412)
	if _, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits"), IfMatch: put.ETag, IfModifiedSince: aws.Time(time.Now().Add(-time.Hour))}); got != "0123456789" {
		t.Fatalf("conditions that hold: %q", got)
	}

	pc := s3.NewPresignClient(c)
	pg, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "0123456789" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, got)
	}
	pp, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("uploaded")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(pp.Method, pp.URL, strings.NewReader("from a browser"))
	for k, v := range pp.SignedHeader {
		req.Header[k] = v
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("uploaded")}); resp.StatusCode != 200 || got != "from a browser" {
		t.Fatalf("presigned PUT: %d, stored %q", resp.StatusCode, got)
	}
	tampered := strings.Replace(pg.URL, "digits", "uploaded", 1)
	if resp, err := http.Get(tampered); err != nil || resp.StatusCode != 403 {
		t.Fatalf("a presigned URL for another key: %v %v", resp, err)
	}
	old, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits")}, func(o *s3.PresignOptions) {
		o.Expires = time.Second
		o.ClientOptions = append(o.ClientOptions, func(o *s3.Options) {
			o.Credentials = p.s3().Options().Credentials
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the URL's one second of validity passes
	if resp, err := http.Get(old.URL); err != nil || resp.StatusCode != 403 {
		t.Fatalf("an expired presigned URL: %v %v", resp, err)
	}

	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String("reads/digits")})
	if err != nil || *cp.CopyObjectResult.ETag != *put.ETag {
		t.Fatalf("CopyObject: %+v %v", cp, err)
	}
	out, _ := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("copy")})
	if out.Metadata["k"] != "v" || *out.ContentType != "text/plain" {
		t.Fatalf("COPY kept %+v", out)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String("reads/digits"),
		MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: map[string]string{"new": "1"}, ContentType: aws.String("application/x-digits")}); err != nil {
		t.Fatal(err)
	}
	out, _ = getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("copy")})
	if out.Metadata["new"] != "1" || out.Metadata["k"] != "" || *out.ContentType != "application/x-digits" {
		t.Fatalf("REPLACE gave %+v", out)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy2"), CopySource: aws.String("reads/digits"), CopySourceIfMatch: aws.String(`"nope"`)})
	wantS3Error(t, err, "PreconditionFailed", 412)

	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("digits"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("digits")})
	if err != nil || len(tags.TagSet) != 1 || *tags.TagSet[0].Key != "a" {
		t.Fatalf("GetObjectTagging: %+v %v", tags, err)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: aws.String("digits")}); err != nil {
		t.Fatal(err)
	}
	if tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("digits")}); err != nil || len(tags.TagSet) != 0 {
		t.Fatalf("after DeleteObjectTagging: %+v %v", tags, err)
	}
	if _, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("digits")}); got != "0123456789" {
		t.Fatalf("tagging changed the content: %q", got)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})
	if err != nil || loc.LocationConstraint != "local" {
		t.Fatalf("GetBucketLocation: %+v %v", loc, err)
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	wantS3Error(t, err, "NotImplemented", 501)
}

// TestS3CORS: the bucket's rules answer a browser's preflight (without
// credentials) and decorate its requests.
func TestS3CORS(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := p.s3()
	b := aws.String("web")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	wantS3Error(t, err, "NoSuchCORSConfiguration", 404)
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &s3types.CORSConfiguration{CORSRules: []s3types.CORSRule{{
		AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"content-type", "x-amz-*"},
		ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600),
	}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	if err != nil || len(got.CORSRules) != 1 || got.CORSRules[0].AllowedOrigins[0] != "https://*.example.com" || *got.CORSRules[0].MaxAgeSeconds != 600 {
		t.Fatalf("GetBucketCors: %+v %v", got, err)
	}
	preflight := func(origin, method string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, p.endpoint+"/web/some/key", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", "Content-Type, X-Amz-Date")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := preflight("https://app.example.com", "PUT"); r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.Header.Get("Access-Control-Max-Age") != "600" || !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Fatalf("allowed preflight: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight("https://evil.test", "PUT"); r.StatusCode != 403 {
		t.Fatalf("refused preflight: %d", r.StatusCode)
	}
	if r := preflight("https://app.example.com", "DELETE"); r.StatusCode != 403 {
		t.Fatalf("a method no rule allows: %d", r.StatusCode)
	}
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if r := preflight("https://app.example.com", "PUT"); r.StatusCode != 403 {
		t.Fatalf("preflight after DeleteBucketCors: %d", r.StatusCode)
	}
}

// TestS3MultipartWithSDK: parts (one copied from an object), listing,
// completion (ETag md5-of-md5s-N), the errors S3 gives, abort.
func TestS3MultipartWithSDK(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := p.s3()
	b := aws.String("parts")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("src"), Body: strings.NewReader("0123456789")}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("big"), ContentType: aws.String("application/x-big")})
	if err != nil {
		t.Fatal(err)
	}
	part1 := bytes.Repeat([]byte("p"), 5<<20)
	p1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part1)})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(2),
		CopySource: aws.String("parts/src"), CopySourceRange: aws.String("bytes=2-5")})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId})
	if err != nil || len(lp.Parts) != 2 || *lp.Parts[0].Size != 5<<20 || *lp.Parts[1].Size != 4 {
		t.Fatalf("ListParts: %+v %v", lp, err)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})
	if err != nil || len(lu.Uploads) != 1 || *lu.Uploads[0].UploadId != *up.UploadId {
		t.Fatalf("ListMultipartUploads: %+v %v", lu, err)
	}
	complete := func(parts ...s3types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
		return c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	}
	_, err = complete(s3types.CompletedPart{PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag}, s3types.CompletedPart{PartNumber: aws.Int32(1), ETag: p1.ETag})
	wantS3Error(t, err, "InvalidPartOrder", 400)
	_, err = complete(s3types.CompletedPart{PartNumber: aws.Int32(1), ETag: aws.String(`"feed"`)})
	wantS3Error(t, err, "InvalidPart", 400)
	_, err = complete(s3types.CompletedPart{PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag}, s3types.CompletedPart{PartNumber: aws.Int32(3), ETag: p1.ETag})
	wantS3Error(t, err, "InvalidPart", 400)
	done, err := complete(s3types.CompletedPart{PartNumber: aws.Int32(1), ETag: p1.ETag}, s3types.CompletedPart{PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag})
	if err != nil || !strings.HasSuffix(*done.ETag, `-2"`) {
		t.Fatalf("CompleteMultipartUpload: %+v %v", done, err)
	}
	out, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String("big"), Range: aws.String("bytes=-6")})
	if got != "pp2345" || *out.ETag != *done.ETag || *out.ContentType != "application/x-big" {
		t.Fatalf("the assembled object ends %q (%+v)", got, out)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId})
	wantS3Error(t, err, "NoSuchUpload", 404)

	small, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("small")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		r, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId, PartNumber: aws.Int32(n), Body: strings.NewReader("tiny")})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: r.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	wantS3Error(t, err, "EntityTooSmall", 400)
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("small"), UploadId: small.UploadId, PartNumber: aws.Int32(3), Body: strings.NewReader("late")})
	wantS3Error(t, err, "NoSuchUpload", 404)
}

// TestS3TenantsAndScopes: another tenant's bucket does not exist for a
// tenant, which may have its own of the same name; a read-scoped key
// reads and lists but may not write (AccessDenied).
func TestS3TenantsAndScopes(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := p.s3()
	b := aws.String("shared-name")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("mine"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}
	adminKey, err := os.ReadFile(p.daemon.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := p.tenantKey(ctx, t, strings.TrimSpace(string(adminKey)), "team-b")
	if err != nil {
		t.Fatal(err)
	}
	other := p.s3Client(kb.AccessKeyID, kb.SecretAccessKey, false)
	_, err = other.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("mine")})
	wantS3Error(t, err, "NoSuchBucket", 404)
	_, err = other.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	wantS3Error(t, err, "NoSuchBucket", 404)
	if l, err := other.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(l.Buckets) != 0 {
		t.Fatalf("team-b lists %+v, %v", l, err)
	}
	if _, err := other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatalf("team-b's own bucket of the same name: %v", err)
	}
	if out, err := other.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}); err != nil || *out.KeyCount != 0 {
		t.Fatalf("team-b's bucket: %+v %v", out, err)
	}

	rk, err := apiclient.New(p.endpoint, strings.TrimSpace(string(adminKey))).NewKey(ctx, apiclient.KeyRequest{Tenant: "default", Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	reader := p.s3Client(rk.AccessKeyID, rk.SecretAccessKey, false)
	if _, got := getBody(ctx, t, reader, &s3.GetObjectInput{Bucket: b, Key: aws.String("mine")}); got != "a" {
		t.Fatalf("a read key reads %q", got)
	}
	_, err = reader.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("theirs"), Body: strings.NewReader("b")})
	wantS3Error(t, err, "AccessDenied", 403)
	_, err = reader.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("mine")})
	wantS3Error(t, err, "AccessDenied", 403)
}
