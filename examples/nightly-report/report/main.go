// Command report is the nightly report of examples/nightly-report
// (template.yaml): a schedule invokes it with EventBridge's Scheduled
// Event; it reads the sales of the day before the tick from the table
// named by SALES_TABLE (partition key day, YYYY-MM-DD; sort key id; an
// amount and a category per item) and writes their totals to
// reports/DAY.json in the bucket named by REPORTS_BUCKET. An event with a
// "day" field reports on that day instead (a re-run by hand). A failure
// reaches the template's failure destination.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Event is the Scheduled Event's part the report reads, or a re-run's day.
type Event struct {
	Time string `json:"time"` // the tick's scheduled time, RFC 3339 UTC
	Day  string `json:"day"`  // a re-run: YYYY-MM-DD
}

// Report is what lands in the bucket.
type Report struct {
	Day        string             `json:"day"`
	Sales      int                `json:"sales"`
	Total      float64            `json:"total"`
	ByCategory map[string]float64 `json:"byCategory"`
	Scheduled  string             `json:"scheduled,omitempty"`
}

// reportDay is the day an event reports on: its day, else the day before
// its tick, else yesterday.
func reportDay(ev Event, now time.Time) (string, error) {
	if ev.Day != "" {
		if _, err := time.Parse(time.DateOnly, ev.Day); err != nil {
			return "", fmt.Errorf("day %q: want YYYY-MM-DD", ev.Day)
		}
		return ev.Day, nil
	}
	at := now
	if ev.Time != "" {
		t, err := time.Parse(time.RFC3339, ev.Time)
		if err != nil {
			return "", fmt.Errorf("time %q: want RFC 3339", ev.Time)
		}
		at = t
	}
	return at.UTC().AddDate(0, 0, -1).Format(time.DateOnly), nil
}

// add counts one sale into r.
func (r *Report) add(item map[string]types.AttributeValue) error {
	n, ok := item["amount"].(*types.AttributeValueMemberN)
	if !ok {
		return fmt.Errorf("sale %v has no number amount", item["id"])
	}
	amount, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		return fmt.Errorf("sale %v: amount %q: %w", item["id"], n.Value, err)
	}
	category := "other"
	if c, ok := item["category"].(*types.AttributeValueMemberS); ok && c.Value != "" {
		category = c.Value
	}
	r.Sales++
	r.Total = math.Round((r.Total+amount)*100) / 100
	r.ByCategory[category] = math.Round((r.ByCategory[category]+amount)*100) / 100
	return nil
}

func handle(ctx context.Context, ev Event) (*Report, error) {
	day, err := reportDay(ev, time.Now())
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	table, bucket := os.Getenv("SALES_TABLE"), os.Getenv("REPORTS_BUCKET")
	r := &Report{Day: day, ByCategory: map[string]float64{}, Scheduled: ev.Time}
	p := dynamodb.NewQueryPaginator(dynamodb.NewFromConfig(cfg), &dynamodb.QueryInput{
		TableName:                 &table,
		KeyConditionExpression:    aws.String("#day = :day"),
		ExpressionAttributeNames:  map[string]string{"#day": "day"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":day": &types.AttributeValueMemberS{Value: day}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query %s for %s: %w", table, day, err)
		}
		for _, item := range page.Items {
			if err := r.add(item); err != nil {
				return nil, err
			}
		}
	}
	body, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	key := "reports/" + day + ".json"
	if _, err := s3.NewFromConfig(cfg).PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	}); err != nil {
		return nil, fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	log.Printf("report for %s: %d sales, total %.2f -> %s/%s", day, r.Sales, r.Total, bucket, key)
	return r, nil
}

func main() { lambda.Start(handle) }
