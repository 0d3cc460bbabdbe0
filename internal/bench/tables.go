package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
)

// tableClients is how many SDK clients drive the table figures.
const tableClients = 8

// tablesFigures measures DynamoDB PutItem, GetItem and Query through the
// real aws-sdk-go-v2 client over the endpoint, at 8 clients. Baselines of
// the same run: serial fsync'ed appends to a file (the write path's
// floor: every PutItem is fsync'ed before its reply) and the plain Go
// HTTP server at 8 clients (the round trip's floor).
func tablesFigures(ctx context.Context, w io.Writer, o Options, c *apiclient.Client, endpoint, tmp string, base Target) error {
	k, err := c.CreateKey(ctx, "")
	if err != nil {
		return err
	}
	db := dynamodb.New(dynamodb.Options{
		Region: "local", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
		Retryer:     aws.NopRetryer{},
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: tableClients * 2}},
	})
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("bench"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		return fmt.Errorf("bench: create table: %w", err)
	}
	fsyncs, err := fsyncRate(filepath.Join(tmp, "fsync-tables"), 2*time.Second)
	if err != nil {
		return err
	}
	b := Load(ctx, base, tableClients, o.Duration)
	var seq atomic.Int64
	item := func(i int64) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "p" + strconv.FormatInt(i%100, 10)},
			"sk": &types.AttributeValueMemberN{Value: strconv.FormatInt(i, 10)},
			"v":  &types.AttributeValueMemberS{Value: "a small item of about a hundred bytes, as a session or a counter"},
		}
	}
	put := sdkLoad(ctx, tableClients, o.Duration, func(ctx context.Context) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"), Item: item(seq.Add(1))})
		return err
	})
	written := seq.Load()
	if put.Requests == 0 || written == 0 {
		return fmt.Errorf("bench: PutItem: no success: %s", put.FirstError)
	}
	var n atomic.Int64
	get := sdkLoad(ctx, tableClients, o.Duration, func(ctx context.Context) error {
		i := n.Add(7919)%written + 1
		it := item(i)
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench"), Key: map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]}})
		return err
	})
	query := sdkLoad(ctx, tableClients, o.Duration, func(ctx context.Context) error {
		pk := "p" + strconv.FormatInt(n.Add(1)%100, 10)
		_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("bench"), Limit: aws.Int32(10),
			KeyConditionExpression:    aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: pk}}})
		return err
	})
	streamPut, err := streamPuts(ctx, db, o.Duration)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("%d SDK clients over the endpoint; baseline: the plain Go server's p50/p99 at %d clients (%.2f/%.2f ms, %.0f req/s); serial fsync'ed appends on the same disk: %.0f/s",
		tableClients, tableClients, ms(b.Percentile(50)), ms(b.Percentile(99)), b.Throughput(), fsyncs)
	for _, f := range []struct {
		name string
		r    LoadResult
	}{{"putitem", put}, {"putitem_stream", streamPut}, {"getitem", get}, {"query10", query}} {
		if f.r.Requests == 0 {
			return fmt.Errorf("bench: %s: no success: %s", f.name, f.r.FirstError)
		}
		target := ""
		if f.name == "putitem" {
			target = "<= 5"
		}
		Emit(w, Figure{Name: "dynamodb_" + f.name + "_p50", Value: ms(f.r.Percentile(50)), Unit: "ms", Baseline: ms(b.Percentile(50)), Note: note})
		Emit(w, Figure{Name: "dynamodb_" + f.name + "_p99", Value: ms(f.r.Percentile(99)), Unit: "ms", Baseline: ms(b.Percentile(99)), Target: target, Note: note})
		rb := b.Throughput()
		if f.name == "putitem" || f.name == "putitem_stream" {
			rb = fsyncs
		}
		Emit(w, Figure{Name: "dynamodb_" + f.name + "_rate", Value: f.r.Throughput(), Unit: "req/s", Baseline: rb,
			Note: fmt.Sprintf("%d errors; baseline: %s", f.r.Errors, map[bool]string{true: "serial fsync'ed appends/s", false: "plain Go server req/s"}[f.name == "putitem" || f.name == "putitem_stream"])})
	}
	return nil
}

// sdkLoad runs call from clients goroutines for d and collects latencies.
func sdkLoad(ctx context.Context, clients int, d time.Duration, call func(context.Context) error) LoadResult {
	var mu sync.Mutex
	var r LoadResult
	var wg sync.WaitGroup
	startAt := time.Now()
	deadline := startAt.Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs := 0
			first := ""
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if err := call(ctx); err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			r.Latencies = append(r.Latencies, lat...)
			r.Errors += errs
			if r.FirstError == "" {
				r.FirstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(startAt)
	r.Requests = len(r.Latencies)
	sort.Slice(r.Latencies, func(i, j int) bool { return r.Latencies[i] < r.Latencies[j] })
	return r
}

// streamPuts measures PutItem into a table with a NEW_AND_OLD_IMAGES
// stream: each write stores its item and its stream record in one atomic
// batch.
func streamPuts(ctx context.Context, db *dynamodb.Client, d time.Duration) (LoadResult, error) {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("bench-stream"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		return LoadResult{}, fmt.Errorf("bench: create the stream table: %w", err)
	}
	var seq atomic.Int64
	return sdkLoad(ctx, tableClients, d, func(ctx context.Context) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench-stream"), Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: strconv.FormatInt(seq.Add(1), 10)},
			"v":  &types.AttributeValueMemberS{Value: "a small item of about a hundred bytes, as a session or a counter"},
		}})
		return err
	}), nil
}
