package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// s3Figures measures S3 PUT and GET of 4 KiB and 4 MiB objects at 8
// clients (the real SDK client) beside two same-run references: 8
// writers creating files of the same size with write+fsync on the same
// disk (what durable bytes cost here), and gofakes3, an in-memory S3
// server (what the protocol costs without durability).
func s3Figures(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, endpoint, tmp string) error {
	k, err := c.CreateKey(ctx, "")
	if err != nil {
		return err
	}
	updraft := newS3Client(endpoint, k.AccessKeyID, k.SecretAccessKey)
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	peer := newS3Client(fake.URL, "AKIDBENCH", "bench-secret")
	for _, cl := range []*s3.Client{updraft, peer} {
		if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
			return fmt.Errorf("s3 bench: create bucket: %w", err)
		}
	}
	const clients = 8
	for _, size := range []int{4 << 10, 4 << 20} {
		label := fmt.Sprintf("%dKiB", size>>10)
		if size >= 1<<20 {
			label = fmt.Sprintf("%dMiB", size>>20)
		}
		files, err := fileWrites(filepath.Join(tmp, "s3-baseline-"+label), size, clients, o.Duration)
		if err != nil {
			return err
		}
		body := bytes.Repeat([]byte("u"), size)
		put := func(cl *s3.Client, i, n int) error {
			_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("%s/%d/%d", label, i, n%64)), Body: bytes.NewReader(body)})
			return err
		}
		get := func(cl *s3.Client, i, _ int) error {
			out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("%s/%d/0", label, i))})
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
			return err
		}
		for _, op := range []struct {
			name string
			f    func(*s3.Client, int, int) error
		}{{"put", put}, {"get", get}} {
			mine, err := s3Load(updraft, clients, o.Duration, op.f)
			if err != nil {
				return fmt.Errorf("s3 bench %s %s: %w", op.name, label, err)
			}
			theirs, err := s3Load(peer, clients, o.Duration, op.f)
			if err != nil {
				return fmt.Errorf("s3 bench %s %s on gofakes3: %w", op.name, label, err)
			}
			mbs := func(rate float64) float64 { return rate * float64(size) / 1e6 }
			name := fmt.Sprintf("s3_%s_%s_%dclients", op.name, label, clients)
			target := ""
			if op.name == "put" && size >= 1<<20 {
				target = ">= 0.5 of the baseline"
			}
			note := fmt.Sprintf("%.0f req/s; baseline: %d writers creating %s files with write+fsync on the same disk (%.0f files/s); gofakes3 (in memory, no fsync): %.0f req/s, %.1f MB/s",
				mine, clients, label, files, theirs, mbs(theirs))
			if op.name == "get" {
				note = fmt.Sprintf("%.0f req/s; baseline: gofakes3 serving the same from memory (%.0f req/s)", mine, theirs)
				Emit(w, Figure{Name: name, Value: mbs(mine), Unit: "MB/s", Baseline: mbs(theirs), Note: note})
				continue
			}
			Emit(w, Figure{Name: name, Value: mbs(mine), Unit: "MB/s", Baseline: mbs(files), Target: target, Note: note})
		}
	}
	return nil
}

func newS3Client(endpoint, id, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region: "local", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(id, secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// s3Load runs op from n clients for d and returns the operations per
// second; the first error ends it.
func s3Load(cl *s3.Client, n int, d time.Duration, op func(cl *s3.Client, client, i int) error) (float64, error) {
	var done atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; time.Now().Before(end); k++ {
				if err := op(cl, i, k); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// fileWrites is the durable-bytes baseline: n writers each create files
// of size bytes (write, fsync, close) for d; it returns files per second.
func fileWrites(dir string, size, n int, d time.Duration) (float64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	buf := bytes.Repeat([]byte("f"), size)
	var done atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; time.Now().Before(end); k++ {
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d-%d", i, k%64)))
				if err == nil {
					_, err = f.Write(buf)
				}
				if err == nil {
					err = f.Sync()
				}
				if f != nil {
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
				if err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}
