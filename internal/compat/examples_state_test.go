package compat

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

// deployExample builds examples/NAME (a Go function) and deploys it with
// its own updraft.yaml, as the README says.
func (p *platform) deployExample(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", name)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "updraft.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	zip := zipOf(t, map[string]string{"bootstrap": string(exe), "updraft.yaml": string(manifest)})
	if _, _, err := apiclient.New(p.endpoint, p.key.APIKey).Deploy(ctx, apiclient.DeployRequest{Zip: zip}); err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
}

func (p *platform) awsConfig() aws.Config {
	return aws.Config{Region: fn.Region, BaseEndpoint: aws.String(p.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(p.key.AccessKeyID, p.key.SecretAccessKey, "")}
}

// examples/thumbnail: an upload notifies the function, which writes a
// thumbnail into another bucket with its own scoped credentials.
func TestExampleThumbnail(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p.deployExample(ctx, t, "thumbnail")
	s3c := s3.NewFromConfig(p.awsConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{"uploads", "thumbnails"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("uploads"),
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
			LambdaFunctionArn: aws.String(fn.ARN("default", "thumbnail", "")),
			Events:            []s3types.Event{"s3:ObjectCreated:*"},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for x := range 640 {
		img.Set(x, x*480/640, color.RGBA{255, 0, 0, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("holiday photo.png"), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
	var thumb *s3.GetObjectOutput
	for deadline := time.Now().Add(time.Minute); ; {
		out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("thumbnails"), Key: aws.String("holiday photo.png")})
		if err == nil {
			thumb = out
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no thumbnail after a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer thumb.Body.Close()
	got, err := png.Decode(thumb.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b.Dx() != 128 || b.Dy() != 96 {
		t.Errorf("thumbnail is %dx%d, want 128x96", b.Dx(), b.Dy())
	}
	if thumb.Metadata["source"] != "uploads/holiday photo.png" || aws.ToString(thumb.ContentType) != "image/png" {
		t.Errorf("thumbnail metadata %v, type %q", thumb.Metadata, aws.ToString(thumb.ContentType))
	}
}

// examples/signup-welcome: a new item in the users table reaches the
// function through the table's stream; it queues a welcome email.
func TestExampleSignupWelcome(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := p.awsConfig()
	db := dynamodb.NewFromConfig(cfg)
	table, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("users"),
		AttributeDefinitions: []ddb.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddb.ScalarAttributeTypeS}},
		KeySchema:            []ddb.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddb.KeyTypeHash}},
		BillingMode:          ddb.BillingModePayPerRequest,
		StreamSpecification:  &ddb.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddb.StreamViewTypeNewImage},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("welcome-emails")})
	if err != nil {
		t.Fatal(err)
	}
	p.deployExample(ctx, t, "signup-welcome")
	if _, err := p.lambda().CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("signup-welcome"), EventSourceArn: table.TableDescription.LatestStreamArn,
		StartingPosition: lambdatypes.EventSourcePositionTrimHorizon,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: map[string]ddb.AttributeValue{
		"id": &ddb.AttributeValueMemberS{Value: "ada"}, "email": &ddb.AttributeValueMemberS{Value: "ada@example.com"},
		"name": &ddb.AttributeValueMemberS{Value: "Ada"},
	}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, WaitTimeSeconds: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			body := aws.ToString(out.Messages[0].Body)
			if !strings.Contains(body, `"to":"ada@example.com"`) || !strings.Contains(body, `"name":"Ada"`) || !strings.Contains(body, `"userId":"ada"`) {
				t.Fatalf("welcome message %s", body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no welcome message after a minute")
		}
	}
}
