package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/spf13/cobra"
)

type item = map[string]types.AttributeValue

func newTableGetCmd(a *app) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "get NAME --key JSON",
		Short: "Read one item",
		Long:  `Read the item with the given primary key (plain or DynamoDB JSON); nothing is printed when there is none.`,
		Example: `  updraft table get users --key '{"id":"a"}'
  updraft table get events --key '{"pk":{"S":"u1"},"ts":{"N":"100"}}'`,
		Args: args("NAME"),
	}
	cmd.Flags().StringVar(&key, "key", "", "the primary key, JSON (required)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		k, err := parseItem("--key", key)
		if err != nil {
			return err
		}
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(args[0]), Key: k, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return apiErr(err)
		}
		if out.Item == nil {
			_, err := fmt.Fprintln(a.stderr, "no such item")
			return err
		}
		return a.printItems([]item{out.Item})
	})
	return cmd
}

func newTablePutCmd(a *app) *cobra.Command {
	var it string
	cmd := &cobra.Command{
		Use:   "put NAME --item JSON",
		Short: "Write one item",
		Long:  `Write an item (plain or DynamoDB JSON), replacing any item with its key.`,
		Example: `  updraft table put users --item '{"id":"a","name":"Ada","tags":["x","y"]}'
  updraft table put users --item '{"id":{"S":"b"},"n":{"N":"2"}}'`,
		Args: args("NAME"),
	}
	cmd.Flags().StringVar(&it, "item", "", "the item, JSON (required)")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		v, err := parseItem("--item", it)
		if err != nil {
			return err
		}
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(args[0]), Item: v}); err != nil {
			return apiErr(err)
		}
		if a.jsonOutput() {
			return a.printJSON(map[string]string{"put": args[0]})
		}
		_, err = fmt.Fprintln(a.stdout, "put 1 item")
		return err
	})
	return cmd
}

func newTableQueryCmd(a *app) *cobra.Command {
	var cond, values, names, filter string
	var limit int
	var desc bool
	cmd := &cobra.Command{
		Use:   "query NAME --key-condition EXPR --values JSON",
		Short: "Read the items of one partition, in sort-key order",
		Long: `Query one partition with a KeyConditionExpression (the partition key = a
value, optionally a condition on the sort key: =, <, <=, >, >=, BETWEEN,
begins_with). --values holds the expression's :values (plain or DynamoDB
JSON), --names its #names. Every page is read; --limit stops after that
many items.`,
		Example: `  updraft table query events --key-condition 'pk = :p' --values '{":p":"u1"}'
  updraft table query events --key-condition 'pk = :p AND ts BETWEEN :a AND :b' --values '{":p":"u1",":a":1,":b":9}' --desc`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	f.StringVar(&cond, "key-condition", "", "KeyConditionExpression (required)")
	f.StringVar(&values, "values", "", "ExpressionAttributeValues, JSON")
	f.StringVar(&names, "names", "", "ExpressionAttributeNames, JSON")
	f.StringVar(&filter, "filter", "", "FilterExpression")
	f.IntVar(&limit, "limit", 0, "at most this many items")
	f.BoolVar(&desc, "desc", false, "in descending sort-key order")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if cond == "" {
			return usagef("--key-condition is required: updraft table query %s --key-condition 'id = :v' --values '{\":v\":\"a\"}'", args[0])
		}
		in := &dynamodb.QueryInput{TableName: aws.String(args[0]), KeyConditionExpression: aws.String(cond), ScanIndexForward: aws.Bool(!desc)}
		if err := exprParams(values, names, filter, &in.ExpressionAttributeValues, &in.ExpressionAttributeNames, &in.FilterExpression); err != nil {
			return err
		}
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		var items []item
		p := dynamodb.NewQueryPaginator(db, in)
		for p.HasMorePages() && (limit == 0 || len(items) < limit) {
			page, err := p.NextPage(ctx)
			if err != nil {
				return apiErr(err)
			}
			items = append(items, page.Items...)
		}
		if limit > 0 && len(items) > limit {
			items = items[:limit]
		}
		return a.printItems(items)
	})
	return cmd
}

func newTableScanCmd(a *app) *cobra.Command {
	var limit int
	var filter, values, names string
	cmd := &cobra.Command{
		Use:   "scan NAME",
		Short: "Read every item of a table",
		Long:  `Read every item of the table (every page), optionally filtered.`,
		Example: `  updraft table scan users
  updraft table scan users --filter 'visits > :n' --values '{":n":3}' --limit 10`,
		Args: args("NAME"),
	}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 0, "at most this many items")
	f.StringVar(&filter, "filter", "", "FilterExpression")
	f.StringVar(&values, "values", "", "ExpressionAttributeValues, JSON")
	f.StringVar(&names, "names", "", "ExpressionAttributeNames, JSON")
	cmd.RunE = a.run(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		in := &dynamodb.ScanInput{TableName: aws.String(args[0])}
		if err := exprParams(values, names, filter, &in.ExpressionAttributeValues, &in.ExpressionAttributeNames, &in.FilterExpression); err != nil {
			return err
		}
		db, err := a.dynamo(ctx)
		if err != nil {
			return err
		}
		var items []item
		p := dynamodb.NewScanPaginator(db, in)
		for p.HasMorePages() && (limit == 0 || len(items) < limit) {
			page, err := p.NextPage(ctx)
			if err != nil {
				return apiErr(err)
			}
			items = append(items, page.Items...)
		}
		if limit > 0 && len(items) > limit {
			items = items[:limit]
		}
		return a.printItems(items)
	})
	return cmd
}

// exprParams parses --values, --names and --filter into a request.
func exprParams(values, names, filter string, v *map[string]types.AttributeValue, n *map[string]string, f **string) error {
	if values != "" {
		it, err := parseItem("--values", values)
		if err != nil {
			return err
		}
		*v = it
	}
	if names != "" {
		if err := json.Unmarshal([]byte(names), n); err != nil {
			return usagef("--names must be a JSON object of strings, as in '{\"#n\":\"name\"}': %v", err)
		}
	}
	if filter != "" {
		*f = aws.String(filter)
	}
	return nil
}

// printItems prints items as plain JSON, one a line; as a DynamoDB JSON
// array with --output json.
func (a *app) printItems(items []item) error {
	if a.jsonOutput() {
		out := make([]map[string]any, len(items))
		for i, it := range items {
			out[i] = map[string]any{}
			for k, v := range it {
				out[i][k] = toDynamoJSON(v)
			}
		}
		return a.printJSON(out)
	}
	for _, it := range items {
		plain := map[string]any{}
		for k, v := range it {
			plain[k] = toPlain(v)
		}
		b, err := json.Marshal(plain)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(a.stdout, string(b)); err != nil {
			return err
		}
	}
	return nil
}

// parseItem reads an item (or a key, or expression values) given as
// DynamoDB JSON or plain JSON.
func parseItem(flag, s string) (item, error) {
	if s == "" {
		return nil, usagef("%s is required: a JSON object such as '{\"id\":\"a\"}'", flag)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, usagef("%s is not a JSON object: %v", flag, err)
	}
	dynamo := len(raw) > 0
	for _, v := range raw {
		if !isTyped(v) {
			dynamo = false
		}
	}
	out := item{}
	for k, v := range raw {
		var av types.AttributeValue
		var err error
		if dynamo {
			av, err = fromDynamoJSON(v)
		} else {
			av, err = fromPlain(v)
		}
		if err != nil {
			return nil, usagef("%s: attribute %s: %v", flag, k, err)
		}
		out[k] = av
	}
	return out, nil
}

var typeKeys = map[string]bool{"S": true, "N": true, "B": true, "BOOL": true, "NULL": true, "M": true, "L": true, "SS": true, "NS": true, "BS": true}

// isTyped reports whether v looks like a DynamoDB JSON value ({"S": …}).
func isTyped(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return typeKeys[k]
	}
	return false
}

func fromPlain(v any) (types.AttributeValue, error) {
	switch x := v.(type) {
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case json.Number:
		return &types.AttributeValueMemberN{Value: x.String()}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case []any:
		l := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := fromPlain(e)
			if err != nil {
				return nil, err
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case map[string]any:
		m := item{}
		for k, e := range x {
			av, err := fromPlain(e)
			if err != nil {
				return nil, err
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unsupported JSON value %v", v)
}

func fromDynamoJSON(v any) (types.AttributeValue, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("a DynamoDB JSON value has one type key, as in {\"S\":\"text\"}")
	}
	for t, x := range m {
		bad := fmt.Errorf("the %s value %v has the wrong JSON type", t, x)
		switch t {
		case "S":
			if s, ok := x.(string); ok {
				return &types.AttributeValueMemberS{Value: s}, nil
			}
		case "N":
			if s, ok := x.(string); ok {
				return &types.AttributeValueMemberN{Value: s}, nil
			}
		case "B":
			if s, ok := x.(string); ok {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("the B value must be base64: %w", err)
				}
				return &types.AttributeValueMemberB{Value: b}, nil
			}
		case "BOOL":
			if b, ok := x.(bool); ok {
				return &types.AttributeValueMemberBOOL{Value: b}, nil
			}
		case "NULL":
			return &types.AttributeValueMemberNULL{Value: true}, nil
		case "SS", "NS", "BS":
			l, ok := x.([]any)
			if !ok {
				return nil, bad
			}
			var ss []string
			var bs [][]byte
			for _, e := range l {
				s, ok := e.(string)
				if !ok {
					return nil, bad
				}
				if t == "BS" {
					b, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						return nil, fmt.Errorf("BS elements must be base64: %w", err)
					}
					bs = append(bs, b)
				}
				ss = append(ss, s)
			}
			switch t {
			case "SS":
				return &types.AttributeValueMemberSS{Value: ss}, nil
			case "NS":
				return &types.AttributeValueMemberNS{Value: ss}, nil
			}
			return &types.AttributeValueMemberBS{Value: bs}, nil
		case "L":
			l, ok := x.([]any)
			if !ok {
				return nil, bad
			}
			out := make([]types.AttributeValue, len(l))
			for i, e := range l {
				av, err := fromDynamoJSON(e)
				if err != nil {
					return nil, err
				}
				out[i] = av
			}
			return &types.AttributeValueMemberL{Value: out}, nil
		case "M":
			mm, ok := x.(map[string]any)
			if !ok {
				return nil, bad
			}
			out := item{}
			for k, e := range mm {
				av, err := fromDynamoJSON(e)
				if err != nil {
					return nil, err
				}
				out[k] = av
			}
			return &types.AttributeValueMemberM{Value: out}, nil
		}
		return nil, bad
	}
	return nil, nil
}

// toPlain turns a value into plain JSON (numbers stay exact; sets become
// sorted arrays; binaries base64).
func toPlain(v types.AttributeValue) any {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		return json.Number(x.Value)
	case *types.AttributeValueMemberB:
		return x.Value
	case *types.AttributeValueMemberBOOL:
		return x.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), x.Value...)
		sort.Strings(s)
		return s
	case *types.AttributeValueMemberNS:
		out := make([]json.Number, len(x.Value))
		for i, n := range x.Value {
			out[i] = json.Number(n)
		}
		return out
	case *types.AttributeValueMemberBS:
		return x.Value
	case *types.AttributeValueMemberL:
		out := make([]any, len(x.Value))
		for i, e := range x.Value {
			out[i] = toPlain(e)
		}
		return out
	case *types.AttributeValueMemberM:
		out := map[string]any{}
		for k, e := range x.Value {
			out[k] = toPlain(e)
		}
		return out
	}
	return nil
}

// toDynamoJSON turns a value into DynamoDB JSON.
func toDynamoJSON(v types.AttributeValue) any {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": x.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": x.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": x.Value}
	case *types.AttributeValueMemberBS:
		return map[string]any{"BS": x.Value}
	case *types.AttributeValueMemberL:
		out := make([]any, len(x.Value))
		for i, e := range x.Value {
			out[i] = toDynamoJSON(e)
		}
		return map[string]any{"L": out}
	case *types.AttributeValueMemberM:
		out := map[string]any{}
		for k, e := range x.Value {
			out[k] = toDynamoJSON(e)
		}
		return map[string]any{"M": out}
	}
	return nil
}
