package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"
)

func newObjectCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "object",
		Short: "Manage S3-compatible objects: put, get, ls, rm",
		Long: `Objects live in buckets (see "updraft bucket"); BUCKET/KEY names one. The
commands use the S3 API on the server's endpoint with the real AWS SDK.`,
		Example: `  updraft object put photos/cats/tom.jpg ./tom.jpg
  echo hello | updraft object put photos/notes/hello.txt -
  updraft object get photos/cats/tom.jpg ./copy.jpg
  updraft object ls photos/cats/
  updraft object rm photos/cats/tom.jpg`,
	}
	cmd.AddCommand(newObjectPutCmd(a), newObjectGetCmd(a), newObjectLsCmd(a), newObjectRmCmd(a))
	return cmd
}

// bucketKey splits BUCKET/KEY; key may be empty only when allowed.
func bucketKey(s string, keyRequired bool) (string, string, error) {
	b, k, _ := strings.Cut(s, "/")
	if b == "" || keyRequired && k == "" {
		return "", "", usagef("want BUCKET/KEY, not %q", s)
	}
	return b, k, nil
}

func newObjectPutCmd(a *app) *cobra.Command {
	var contentType string
	cmd := &cobra.Command{
		Use:     "put BUCKET/KEY FILE|-",
		Short:   "Upload a file (or stdin) as an object and print its ETag",
		Example: "  updraft object put photos/cats/tom.jpg ./tom.jpg --content-type image/jpeg\n  tar c . | updraft object put backups/site.tar -",
		Args:    args("BUCKET/KEY", "FILE|-"),
	}
	cmd.Flags().StringVar(&contentType, "content-type", "", "the object's Content-Type")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		bucket, key, err := bucketKey(args[0], true)
		if err != nil {
			return err
		}
		f, err := a.openUpload(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f}
		if contentType != "" {
			in.ContentType = aws.String(contentType)
		}
		out, err := c.PutObject(ctx, in)
		if err != nil {
			return err
		}
		return a.printResult("ETag", aws.ToString(out.ETag))
	})
	return cmd
}

// openUpload opens the file to upload; stdin is spooled to a temporary
// file first, so the SDK can hash it and memory stays small.
func (a *app) openUpload(name string) (*os.File, error) {
	if name != "-" {
		return os.Open(name)
	}
	f, err := os.CreateTemp("", "updraft-upload-")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name()) // gone once closed
	if _, err := io.Copy(f, a.stdin); err != nil {
		f.Close()
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func newObjectGetCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "get BUCKET/KEY [FILE]",
		Short:   "Download an object to a file (default: stdout)",
		Example: "  updraft object get photos/cats/tom.jpg tom.jpg\n  updraft object get notes/todo.txt",
		Args:    args("BUCKET/KEY", "[FILE]"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		bucket, key, err := bucketKey(args[0], true)
		if err != nil {
			return err
		}
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		if len(args) < 2 || args[1] == "-" {
			_, err = io.Copy(a.stdout, out.Body)
			return err
		}
		f, err := os.Create(args[1])
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, out.Body); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	return cmd
}

func newObjectLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls BUCKET[/PREFIX]",
		Short:   "List a bucket's objects (under a prefix)",
		Example: "  updraft object ls photos\n  updraft object ls photos/cats/ --output json",
		Args:    args("BUCKET[/PREFIX]"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		bucket, prefix, err := bucketKey(args[0], false)
		if err != nil {
			return err
		}
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		type object struct {
			Key      string `json:"key"`
			Size     int64  `json:"size"`
			Modified string `json:"modified"`
			ETag     string `json:"etag"`
		}
		list := []object{}
		pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, o := range page.Contents {
				list = append(list, object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
					Modified: aws.ToTime(o.LastModified).UTC().Format("2006-01-02T15:04:05Z"), ETag: aws.ToString(o.ETag)})
			}
		}
		if a.jsonOutput() {
			return a.printJSON(list)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "KEY\tSIZE\tMODIFIED")
		for _, o := range list {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", o.Key, o.Size, o.Modified)
		}
		return tw.Flush()
	})
	return cmd
}

func newObjectRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm BUCKET/KEY",
		Short:   "Delete an object",
		Example: "  updraft object rm photos/cats/tom.jpg",
		Args:    args("BUCKET/KEY"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		bucket, key, err := bucketKey(args[0], true)
		if err != nil {
			return err
		}
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
			return err
		}
		return a.printResult("Deleted", args[0])
	})
	return cmd
}
