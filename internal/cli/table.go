package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"
)

// The table commands speak DynamoDB's protocol to the server's one AWS
// endpoint with the real aws-sdk-go-v2 client and the CLI's session
// credentials, so they see exactly what a DynamoDB client sees.

func newTableCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "table",
		Short: "Create, use and delete DynamoDB-compatible tables",
		Long: `Tables with DynamoDB's semantics, served on the same endpoint as DynamoDB's
API: what these commands do, any AWS SDK or the aws CLI can do too, with
AWS_ENDPOINT_URL set to the server's address.

Items may be given in DynamoDB JSON ({"id":{"S":"a"}}) or as plain JSON
({"id":"a","n":1}), which is converted (strings to S, numbers to N, true
and false to BOOL, null to NULL, arrays to L, objects to M). Items print as
plain JSON; with --output json, as DynamoDB JSON.`,
		Example: `  updraft table create users --hash-key id:S --stream NEW_AND_OLD_IMAGES
  updraft table put users --item '{"id":"a","name":"Ada","visits":1}'
  updraft table get users --key '{"id":"a"}'
  updraft table query events --key-condition 'pk = :p AND ts > :t' --values '{":p":"u1",":t":100}'
  updraft table scan users
  updraft table rm users`,
		Args: args(),
	}
	cmd.AddCommand(newTableCreateCmd(a), newTableLsCmd(a), newTableRmCmd(a), newTableGetCmd(a), newTablePutCmd(a), newTableQueryCmd(a), newTableScanCmd(a))
	return cmd
}

// dynamo is the DynamoDB client of the CLI's endpoint and key.
func (a *app) dynamo(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// apiErr shortens an SDK error to DynamoDB's code and message.
func apiErr(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return err
}

// parseKeyAttr reads NAME:TYPE (TYPE S, N or B).
func parseKeyAttr(flag, s string) (types.AttributeDefinition, error) {
	name, typ, ok := strings.Cut(s, ":")
	if !ok || name == "" || (typ != "S" && typ != "N" && typ != "B") {
		return types.AttributeDefinition{}, usagef("--%s %q must be NAME:TYPE with TYPE S, N or B, as in --%s id:S", flag, s, flag)
	}
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeType(typ)}, nil
}

func newTableCreateCmd(a *app) *cobra.Command {
	var hash, rng, stream string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a table",
		Long: `Create a table keyed by a partition key (--hash-key NAME:TYPE) and optionally a
sort key (--range-key NAME:TYPE); TYPE is S (string), N (number) or B
(binary). --stream turns its stream on with a view type: KEYS_ONLY,
NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES; its stream ARN is printed, for
event source mappings (updraft trigger, or CreateEventSourceMapping).`,
		Example: `  updraft table create users --hash-key id:S
  updraft table create events --hash-key pk:S --range-key ts:N --stream NEW_AND_OLD_IMAGES`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	f.StringVar(&hash, "hash-key", "", "partition key NAME:TYPE (required)")
	f.StringVar(&rng, "range-key", "", "sort key NAME:TYPE")
	f.StringVar(&stream, "stream", "", "stream view type: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if hash == "" {
			return usagef("--hash-key is required: updraft table create %s --hash-key id:S", args[0])
		}
		h, err := parseKeyAttr("hash-key", hash)
		if err != nil {
			return err
		}
		in := &dynamodb.CreateTableInput{
			TableName: aws.String(args[0]), BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{h},
			KeySchema:            []types.KeySchemaElement{{AttributeName: h.AttributeName, KeyType: types.KeyTypeHash}},
		}
		if rng != "" {
			r, err := parseKeyAttr("range-key", rng)
			if err != nil {
				return err
			}
			in.AttributeDefinitions = append(in.AttributeDefinitions, r)
			in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: r.AttributeName, KeyType: types.KeyTypeRange})
		}
		if stream != "" {
			in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(stream)}
		}
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		out, err := db.CreateTable(ctx, in)
		if err != nil {
			return apiErr(err)
		}
		d := out.TableDescription
		if a.jsonOutput() {
			return a.printJSON(map[string]any{"name": args[0], "arn": aws.ToString(d.TableArn), "stream_arn": aws.ToString(d.LatestStreamArn)})
		}
		if _, err := fmt.Fprintf(a.stdout, "created %s\n%s\n", args[0], aws.ToString(d.TableArn)); err != nil {
			return err
		}
		if d.LatestStreamArn != nil {
			_, err = fmt.Fprintf(a.stdout, "stream %s\n", aws.ToString(d.LatestStreamArn))
		}
		return err
	})
	return cmd
}

// tableInfo is one table as `table ls --output json` prints it.
type tableInfo struct {
	Name      string `json:"name"`
	Key       string `json:"key"`
	Items     int64  `json:"items"`
	Bytes     int64  `json:"bytes"`
	StreamARN string `json:"stream_arn,omitempty"`
}

func newTableLsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List tables",
		Long:  `List the tables with their keys, item counts, sizes and stream ARNs.`,
		Example: `  updraft table ls
  updraft table ls --output json`,
		Args: args(),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		list := []tableInfo{}
		p := dynamodb.NewListTablesPaginator(db, &dynamodb.ListTablesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return apiErr(err)
			}
			for _, name := range page.TableNames {
				d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
				if err != nil {
					return apiErr(err)
				}
				var key []string
				for _, k := range d.Table.KeySchema {
					key = append(key, aws.ToString(k.AttributeName))
				}
				list = append(list, tableInfo{Name: name, Key: strings.Join(key, ","), Items: aws.ToInt64(d.Table.ItemCount),
					Bytes: aws.ToInt64(d.Table.TableSizeBytes), StreamARN: streamOf(d.Table)})
			}
		}
		if a.jsonOutput() {
			return a.printJSON(list)
		}
		if len(list) == 0 {
			_, err := fmt.Fprintln(a.stdout, "no tables (create one with: updraft table create NAME --hash-key id:S)")
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKEY\tITEMS\tBYTES\tSTREAM")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", t.Name, t.Key, t.Items, t.Bytes, t.StreamARN)
		}
		return tw.Flush()
	})
	return cmd
}

func streamOf(d *types.TableDescription) string {
	if d.StreamSpecification == nil || !aws.ToBool(d.StreamSpecification.StreamEnabled) {
		return ""
	}
	return aws.ToString(d.LatestStreamArn)
}

func newTableRmCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm NAME",
		Short:   "Delete a table and all its items",
		Long:    `Delete a table, its items and its stream records.`,
		Example: `  updraft table rm users`,
		Args:    args("NAME"),
	}
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(args[0])}); err != nil {
			return apiErr(err)
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"deleted": args[0]})
		}
		_, err = fmt.Fprintf(a.stdout, "deleted %s\n", args[0])
		return err
	})
	return cmd
}
