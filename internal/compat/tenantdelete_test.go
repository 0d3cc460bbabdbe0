package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// Deleting a tenant is refused while it owns anything, naming what; with
// force, everything it owns goes (functions, queues, tables, buckets with
// their objects, keys), and a tenant made again under the name starts
// empty.
func TestDeleteTenantWithEverything(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := apiclient.New(p.endpoint, p.key.APIKey)
	k, err := p.tenantKey(ctx, t, p.key.APIKey, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	api := apiclient.New(p.endpoint, k.APIKey)
	if _, _, err := api.Deploy(ctx, apiclient.DeployRequest{Name: "f", Runtime: "python3.11", Handler: "app.handler", Zip: pythonZip(t, "v1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateQueue(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: fn.Region, BaseEndpoint: aws.String(p.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("doomed-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("doomed-bucket"), Key: aws.String("o"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("doomed-table"),
		AttributeDefinitions: []ddb.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddb.ScalarAttributeTypeS}},
		KeySchema:            []ddb.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddb.KeyTypeHash}},
		BillingMode:          ddb.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	err = admin.DeleteTenant(ctx, "doomed", false)
	for _, want := range []string{"1 functions", "1 queues", "1 buckets", "1 tables"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("deleting a tenant that owns things: %v (want it to name %q)", err, want)
		}
	}
	if err := admin.DeleteTenant(ctx, "doomed", true); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ListFunctions(ctx); err == nil {
		t.Fatal("a deleted tenant's key still works")
	}
	k2, err := p.tenantKey(ctx, t, p.key.APIKey, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	api2 := apiclient.New(p.endpoint, k2.APIKey)
	if fs, err := api2.ListFunctions(ctx); err != nil || len(fs) != 0 {
		t.Fatalf("the new tenant's functions: %v %v", fs, err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider(k2.AccessKeyID, k2.SecretAccessKey, "")
	if out, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil || len(out.Buckets) != 0 {
		t.Fatalf("the new tenant's buckets: %v %v", out, err)
	}
	if out, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil || len(out.TableNames) != 0 {
		t.Fatalf("the new tenant's tables: %v %v", out, err)
	}
}
