// Command thumbnail is an example function: an upload to a bucket
// notifies it (an S3 event), and it writes a thumbnail of the image, at
// most 128 pixels on its longer side, to the bucket named by
// THUMBNAIL_BUCKET under the same key with a .png suffix; an upload larger
// than MAX_IMAGE_MB (when set) is skipped. It uses the AWS
// SDK for Go v2 with no endpoint or credential code: the platform gives
// each instance scoped credentials and AWS_ENDPOINT_URL.
package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif" // decoders for the formats it accepts
	_ "image/jpeg"
	"image/png"
	"log"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/image/draw"
)

// maxSide bounds the thumbnail's longer side, in pixels.
const maxSide = 128

func handle(ctx context.Context, ev events.S3Event) (int, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return 0, err
	}
	client := s3.NewFromConfig(cfg)
	target := os.Getenv("THUMBNAIL_BUCKET")
	if target == "" {
		return 0, fmt.Errorf("THUMBNAIL_BUCKET is not set: name the bucket the thumbnails go to")
	}
	var limit int64
	if s := os.Getenv("MAX_IMAGE_MB"); s != "" {
		mb, err := strconv.Atoi(s)
		if err != nil || mb <= 0 {
			return 0, fmt.Errorf("MAX_IMAGE_MB %q: want a positive number of megabytes", s)
		}
		limit = int64(mb) << 20
	}
	made := 0
	for _, r := range ev.Records {
		// Keys arrive URL-encoded in S3 events ("a+b.png" for "a b.png").
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return made, fmt.Errorf("object key %q: %w", r.S3.Object.Key, err)
		}
		if limit > 0 && r.S3.Object.Size > limit {
			log.Printf("%s/%s has %d bytes, more than MAX_IMAGE_MB: skipped", r.S3.Bucket.Name, key, r.S3.Object.Size)
			continue
		}
		if err := thumbnail(ctx, client, r.S3.Bucket.Name, key, target); err != nil {
			return made, err
		}
		made++
	}
	return made, nil
}

// thumbnail reads bucket/key, scales it down and writes target/key.png.
func thumbnail(ctx context.Context, client *s3.Client, bucket, key, target string) error {
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	src, format, err := image.Decode(obj.Body)
	obj.Body.Close()
	if err != nil {
		return fmt.Errorf("%s/%s is not an image this function reads (png, jpeg, gif): %w", bucket, key, err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > maxSide || h > maxSide {
		if w >= h {
			w, h = maxSide, max(1, h*maxSide/w)
		} else {
			w, h = max(1, w*maxSide/h), maxSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return err
	}
	name := strings.TrimSuffix(key, "."+format) + ".png"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &target, Key: &name, Body: bytes.NewReader(out.Bytes()), ContentType: aws.String("image/png"),
		Metadata: map[string]string{"source": bucket + "/" + key},
	}); err != nil {
		return fmt.Errorf("put %s/%s: %w", target, name, err)
	}
	log.Printf("thumbnail %s/%s (%dx%d) -> %s/%s (%dx%d)", bucket, key, b.Dx(), b.Dy(), target, name, w, h)
	return nil
}

func main() { lambda.Start(handle) }
