package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/fn"
)

// awsConfig is an SDK configuration with the rig's admin key pair.
func (r *crashRig) awsConfig() aws.Config {
	r.t.Helper()
	f, err := os.Open(config.Config{DataDir: r.data}.AdminCredentialsPath())
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	var id, secret string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	return aws.Config{
		Region: fn.Region, BaseEndpoint: aws.String("http://" + r.addr),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// objectBody is what the crash test stores under key: big enough to span
// several writes, and checkable.
func objectBody(key string) []byte {
	return bytes.Repeat([]byte(key+"\n"), 4096/(len(key)+1)+1)
}

// TestObjectsSurviveSIGKILL: objects uploaded while the server is
// SIGKILLed and restarted three times are all there, whole, after; each
// acknowledged upload's notification reaches the function; no object is
// visible partly written. UPDRAFT_CRASH_EVENTS sets how many (default
// 300).
func TestObjectsSurviveSIGKILL(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox needs root")
	}
	n := crashEvents()
	rep, url := newReports(t)
	rig := newCrashRig(t)
	rig.deployReporter(url, "onupload")
	cfg := rig.awsConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	bucket := aws.String("crash")
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: bucket,
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
			LambdaFunctionArn: aws.String(fn.ARN("default", "onupload", "")),
			Events:            []s3types.Event{"s3:ObjectCreated:*"},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	acked := sendThroughKills(t, rig, n, func(ctx context.Context, id string) error {
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(id), Body: bytes.NewReader(objectBody(id))})
		return err
	})
	took := rep.waitDone(t, acked, 3*time.Minute)
	// Every listed object is whole; every acknowledged one is listed.
	listed := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			listed[aws.ToString(o.Key)] = true
		}
	}
	for _, id := range acked {
		if !listed[id] {
			t.Errorf("acknowledged object %s is not listed", id)
		}
	}
	for key := range listed {
		out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(body, objectBody(key)) {
			t.Errorf("object %s: %d bytes, want its %d (err %v)", key, len(body), len(objectBody(key)), err)
		}
	}
	t.Logf("%d uploads acknowledged across 3 SIGKILLs: all listed and whole, %d listed in all; every notification ran (the last %v after the uploads ended), %d more than once",
		len(acked), len(listed), took, rep.duplicates(acked))
}

// TestItemsSurviveSIGKILL: items written while the server is SIGKILLed and
// restarted three times are all there after, and each acknowledged
// write's stream record reaches the function through an event source
// mapping. UPDRAFT_CRASH_EVENTS sets how many (default 300).
func TestItemsSurviveSIGKILL(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sandbox needs root")
	}
	n := crashEvents()
	rep, url := newReports(t)
	rig := newCrashRig(t)
	rig.deployReporter(url, "onchange")
	cfg := rig.awsConfig()
	db := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()
	table := aws.String("crash")
	out, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            table,
		AttributeDefinitions: []ddb.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddb.ScalarAttributeTypeS}},
		KeySchema:            []ddb.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddb.KeyTypeHash}},
		BillingMode:          ddb.BillingModePayPerRequest,
		StreamSpecification:  &ddb.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddb.StreamViewTypeKeysOnly},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewFromConfig(cfg).CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("onchange"), EventSourceArn: out.TableDescription.LatestStreamArn,
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(100),
	}); err != nil {
		t.Fatal(err)
	}
	acked := sendThroughKills(t, rig, n, func(ctx context.Context, id string) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: map[string]ddb.AttributeValue{
			"id": &ddb.AttributeValueMemberS{Value: id}, "n": &ddb.AttributeValueMemberN{Value: "1"},
		}})
		return err
	})
	took := rep.waitDone(t, acked, 3*time.Minute)
	for _, id := range acked {
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: map[string]ddb.AttributeValue{"id": &ddb.AttributeValueMemberS{Value: id}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Item) == 0 {
			t.Errorf("acknowledged item %s is missing", id)
		}
	}
	t.Logf("%d writes acknowledged across 3 SIGKILLs: all stored; every stream record reached the function (the last %v after the writes ended), %d more than once",
		len(acked), took, rep.duplicates(acked))
}
