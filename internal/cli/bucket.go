package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"
)

// The bucket and object commands speak S3's own API on the server's one
// AWS endpoint with the real SDK client, signed with session credentials
// exchanged for the CLI's API key: the aws CLI and any SDK see the same
// buckets.

func newBucketCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bucket",
		Short: "Manage S3-compatible buckets: create, ls, rm",
		Long: `Buckets hold objects (see "updraft object"). The commands use the S3 API on
the server's endpoint, so "aws s3 --endpoint-url" and any AWS SDK see the
same buckets.`,
		Example: `  updraft bucket create photos
  updraft bucket ls
  updraft bucket rm photos`,
	}
	cmd.AddCommand(newBucketCreateCmd(a), newBucketLsCmd(a), newBucketRmCmd(a))
	return cmd
}

// s3Client is an S3 client for the endpoint (path-style: bucket names
// need no DNS).
func (a *app) s3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	}), nil
}

func newBucketCreateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a bucket",
		Example: "  updraft bucket create photos",
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(args[0])}); err != nil {
			return err
		}
		return a.printResult("Bucket", args[0])
	})
	return cmd
}

func newBucketLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Short:   "List buckets with their creation times",
		Example: "  updraft bucket ls\n  updraft bucket ls --output json",
		Args:    args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			return err
		}
		type bucket struct {
			Name    string `json:"name"`
			Created string `json:"created"`
		}
		list := []bucket{}
		for _, b := range out.Buckets {
			list = append(list, bucket{Name: aws.ToString(b.Name), Created: aws.ToTime(b.CreationDate).UTC().Format("2006-01-02T15:04:05Z")})
		}
		if a.jsonOutput() {
			return a.printJSON(list)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED")
		for _, b := range list {
			fmt.Fprintf(tw, "%s\t%s\n", b.Name, b.Created)
		}
		return tw.Flush()
	})
	return cmd
}

func newBucketRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Short:   "Delete an empty bucket",
		Example: "  updraft bucket rm photos",
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		c, err := a.s3Client(ctx)
		if err != nil {
			return err
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(args[0])}); err != nil {
			return err
		}
		return a.printResult("Bucket", args[0])
	})
	return cmd
}
