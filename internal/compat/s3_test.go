package compat

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// s3Client is the real AWS SDK S3 client against the platform, with
// request checksums as config.LoadDefaultConfig sets them (CRC32 unless
// told otherwise):
// path-style, or virtual-hosted on "BUCKET.localhost:PORT" (its dialer
// reaches the platform whatever the host).
func (p *platform) s3Client(id, secret string, virtual bool) *s3.Client {
	endpoint := p.endpoint
	var httpClient s3.HTTPClient = http.DefaultClient
	if virtual {
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.endpoint, "http://"))
		endpoint = "http://localhost:" + port
		addr := strings.TrimPrefix(p.endpoint, "http://")
		httpClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}}
	}
	return s3.New(s3.Options{
		Region: "local", RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported, BaseEndpoint: aws.String(endpoint), UsePathStyle: !virtual, Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), HTTPClient: httpClient,
	})
}

func (p *platform) s3() *s3.Client {
	return p.s3Client(p.key.AccessKeyID, p.key.SecretAccessKey, false)
}

// wantS3Error fails unless err is S3's error code with status.
func wantS3Error(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("%s: status %d, want %d", code, re.HTTPStatusCode(), status)
	}
}

func getBody(ctx context.Context, t *testing.T, c *s3.Client, in *s3.GetObjectInput) (*s3.GetObjectOutput, string) {
	t.Helper()
	out, err := c.GetObject(ctx, in)
	if err != nil {
		t.Fatalf("GetObject %s: %v", *in.Key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out, string(b)
}

// TestS3ObjectsWithSDK runs the core bucket and object operations
// through the real S3 client, path-style and virtual-hosted, with the
// SDK's default PutObject (an aws-chunked body with a CRC32 trailer).
func TestS3ObjectsWithSDK(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, virtual := range []bool{false, true} {
		t.Run(fmt.Sprintf("virtual=%v", virtual), func(t *testing.T) {
			c := p.s3Client(p.key.AccessKeyID, p.key.SecretAccessKey, virtual)
			bucket := fmt.Sprintf("photos-%v", virtual)
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			wantS3Error(t, err, "BucketAlreadyOwnedByYou", 409)
			if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
			body := "hello, objects"
			put, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String("dir/a b+ü.txt"), Body: strings.NewReader(body),
				ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"), ContentDisposition: aws.String("inline"),
				Metadata: map[string]string{"color": "blue"}, Tagging: aws.String("team=web&tier=1"),
			})
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum([]byte(body))
			if want := fmt.Sprintf(`"%x"`, sum); *put.ETag != want {
				t.Fatalf("ETag %s, want %s", *put.ETag, want)
			}
			out, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+ü.txt")})
			if got != body || *out.ContentType != "text/plain" || *out.CacheControl != "max-age=60" || *out.ContentDisposition != "inline" ||
				out.Metadata["color"] != "blue" || *out.ETag != *put.ETag || *out.ContentLength != int64(len(body)) || *out.TagCount != 2 {
				t.Fatalf("GetObject: %q %+v", got, out)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+ü.txt")})
			if err != nil || *head.ContentLength != int64(len(body)) || *head.ETag != *put.ETag {
				t.Fatalf("HeadObject: %+v %v", head, err)
			}
			_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
			wantS3Error(t, err, "NoSuchKey", 404)
			_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
			wantS3Error(t, err, "NoSuchBucket", 404)
			_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			wantS3Error(t, err, "BucketNotEmpty", 409)
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/a b+ü.txt")}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatal(err)
			}
		})
	}
	c := p.s3()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantS3Error(t, err, "InvalidBucketName", 400)
	bad := p.s3Client(p.key.AccessKeyID, "wrong-secret-wrong-secret-wrong-secret-x", false)
	_, err = bad.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantS3Error(t, err, "SignatureDoesNotMatch", 403)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("md5")}); err != nil {
		t.Fatal(err)
	}
	wrong := md5.Sum([]byte("other"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5"), Key: aws.String("k"), Body: strings.NewReader("body"),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	wantS3Error(t, err, "BadDigest", 400)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("md5"), Key: aws.String("k")})
	if err == nil {
		t.Fatal("an upload with a wrong Content-MD5 was stored")
	}
	// The body the SDK sends is aws-chunked with a CRC32 trailer by
	// default; the other checksums are verified too.
	for _, alg := range []s3types.ChecksumAlgorithm{s3types.ChecksumAlgorithmCrc32c, s3types.ChecksumAlgorithmSha256, s3types.ChecksumAlgorithmSha1, s3types.ChecksumAlgorithmCrc64nvme} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5"), Key: aws.String(string(alg)), Body: strings.NewReader("checked " + string(alg)), ChecksumAlgorithm: alg}); err != nil {
			t.Fatalf("PutObject with %s: %v", alg, err)
		}
	}
	// Over plain HTTP the SDK hashes the body (a hex X-Amz-Content-Sha256)
	// and sends its CRC32 in a header; over TLS it sends it aws-chunked
	// with the CRC32 in a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER),
	// the only way for a body it cannot seek.
	tls := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: strings.TrimPrefix(p.endpoint, "http://")}))
	defer tls.Close()
	overTLS := s3.New(s3.Options{Region: "local", RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported, BaseEndpoint: aws.String(tls.URL), UsePathStyle: true, Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(p.key.AccessKeyID, p.key.SecretAccessKey, ""), HTTPClient: tls.Client()})
	for name, client := range map[string]*s3.Client{"tls": overTLS} {
		body := strings.Repeat("streamed "+name+" ", 100000)
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5"), Key: aws.String(name), Body: struct{ io.Reader }{strings.NewReader(body)},
			ContentLength: aws.Int64(int64(len(body)))}); err != nil {
			t.Fatalf("PutObject of an unseekable body over %s: %v", name, err)
		}
		if _, got := getBody(ctx, t, client, &s3.GetObjectInput{Bucket: aws.String("md5"), Key: aws.String(name)}); got != body {
			t.Fatalf("over %s: got %d bytes, want %d", name, len(got), len(body))
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5"), Key: aws.String(name + "-seekable"), Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("PutObject over %s: %v", name, err)
		}
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || *lb.Buckets[0].Name != "md5" {
		t.Fatalf("ListBuckets: %+v %v", lb, err)
	}
}

// TestS3ListingWithSDK pages through keys with prefixes, delimiters,
// continuation tokens, start-after and v1 markers.
func TestS3ListingWithSDK(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := p.s3()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("list")}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a/1", "a/2", "a/b/3", "b", "c/4", "c/5", "d", "e/6"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("list"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	var gotKeys, gotPrefixes []string
	pages := 0
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range out.Contents {
			gotKeys = append(gotKeys, *o.Key)
		}
		for _, cp := range out.CommonPrefixes {
			gotPrefixes = append(gotPrefixes, *cp.Prefix)
		}
	}
	if pages != 3 || !slices.Equal(gotKeys, []string{"b", "d"}) || !slices.Equal(gotPrefixes, []string{"a/", "c/", "e/"}) {
		t.Fatalf("%d pages: keys %q prefixes %q", pages, gotKeys, gotPrefixes)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("a/"), StartAfter: aws.String("a/1")})
	if err != nil || len(out.Contents) != 2 || *out.Contents[0].Key != "a/2" || *out.KeyCount != 2 || *out.Contents[0].Size != 3 {
		t.Fatalf("ListObjectsV2 start-after: %+v %v", out, err)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("list"), Marker: aws.String("c/4"), MaxKeys: aws.Int32(2)})
	if err != nil || len(v1.Contents) != 2 || *v1.Contents[0].Key != "c/5" || !*v1.IsTruncated {
		t.Fatalf("ListObjects with marker: %+v %v", v1, err)
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("list"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	if err != nil || len(v1.CommonPrefixes) != 1 || *v1.NextMarker != "a/" {
		t.Fatalf("ListObjects NextMarker: %+v %v", v1, err)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("list"), Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: aws.String("a/1")}, {Key: aws.String("b")}, {Key: aws.String("never")}}}})
	if err != nil || len(del.Deleted) != 3 || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects: %+v %v", del, err)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list")})
	if err != nil || *out.KeyCount != int32(len(keys)-2) {
		t.Fatalf("after DeleteObjects: %+v %v", out, err)
	}
}
