package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Request names an operation and its arguments.
type Request struct {
	Op     string `json:"op"`     // env, sqs, s3put, s3get, ddbput, ddbget, invoke
	Name   string `json:"name"`   // queue, bucket or table
	Key    string `json:"key"`    // object key or item id
	Body   string `json:"body"`   // message, object body or item value
	Create bool   `json:"create"` // create the queue, bucket or table first
}

func handle(ctx context.Context, req Request) (string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return "", fmt.Errorf("load AWS config: %w", err)
	}
	switch req.Op {
	case "env":
		var set []string
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"} {
			if os.Getenv(k) != "" {
				set = append(set, k)
			}
		}
		return strings.Join(set, ","), nil
	case "sqs":
		return viaSQS(ctx, sqs.NewFromConfig(cfg), req)
	case "s3put", "s3get":
		return viaS3(ctx, s3.NewFromConfig(cfg), req)
	case "ddbput", "ddbget":
		return viaDynamoDB(ctx, dynamodb.NewFromConfig(cfg), req)
	case "invoke":
		out, err := awslambda.NewFromConfig(cfg).Invoke(ctx, &awslambda.InvokeInput{FunctionName: &req.Name, Payload: []byte(req.Body)})
		if err != nil {
			return "", err
		}
		return string(out.Payload), nil
	}
	return "", errors.New("unknown op " + req.Op)
}

func viaSQS(ctx context.Context, c *sqs.Client, req Request) (string, error) {
	var url *string
	if req.Create {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &req.Name})
		if err != nil {
			return "", err
		}
		url = out.QueueUrl
	} else {
		out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &req.Name})
		if err != nil {
			return "", err
		}
		url = out.QueueUrl
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: &req.Body}); err != nil {
		return "", err
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 5})
	if err != nil {
		return "", err
	}
	if len(out.Messages) == 0 {
		return "", errors.New("no message received")
	}
	return aws.ToString(out.Messages[0].Body), nil
}

func viaS3(ctx context.Context, c *s3.Client, req Request) (string, error) {
	if req.Create {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &req.Name}); err != nil {
			return "", err
		}
	}
	if req.Op == "s3put" {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &req.Name, Key: &req.Key, Body: strings.NewReader(req.Body)})
		return "", err
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &req.Name, Key: &req.Key})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func viaDynamoDB(ctx context.Context, c *dynamodb.Client, req Request) (string, error) {
	if req.Create {
		_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            &req.Name,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		})
		if err != nil {
			return "", err
		}
	}
	key := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: req.Key}}
	if req.Op == "ddbput" {
		item := map[string]ddbtypes.AttributeValue{"id": key["id"], "v": &ddbtypes.AttributeValueMemberS{Value: req.Body}}
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &req.Name, Item: item})
		return "", err
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &req.Name, Key: key})
	if err != nil {
		return "", err
	}
	if v, ok := out.Item["v"].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value, nil
	}
	return "", errors.New("no item")
}

func main() { lambda.Start(handle) }
