// Command signup-welcome is an example function: a new item in the users
// table reaches it through the table's stream, and it queues a welcome
// email for the new user on the queue WELCOME_QUEUE_URL, or else the queue
// named by WELCOME_QUEUE (another function, or a mail service, sends it).
// Changes and removals are ignored. It uses the AWS SDK for Go v2 with no
// endpoint or credential code.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Welcome is the message queued for each new user.
type Welcome struct {
	To      string `json:"to"`
	Name    string `json:"name,omitempty"`
	Subject string `json:"subject"`
	UserID  string `json:"userId"`
}

func handle(ctx context.Context, ev events.DynamoDBEvent) (int, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return 0, err
	}
	client := sqs.NewFromConfig(cfg)
	q := &sqs.GetQueueUrlOutput{QueueUrl: aws.String(os.Getenv("WELCOME_QUEUE_URL"))}
	if *q.QueueUrl == "" {
		name := os.Getenv("WELCOME_QUEUE")
		if q, err = client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name}); err != nil {
			return 0, fmt.Errorf("queue %q: %w", name, err)
		}
	}
	queued := 0
	for _, r := range ev.Records {
		if r.EventName != string(events.DynamoDBOperationTypeInsert) {
			continue
		}
		img := r.Change.NewImage
		email := img["email"]
		if email.DataType() != events.DataTypeString {
			log.Printf("user %v has no email: skipped", r.Change.Keys)
			continue
		}
		w := Welcome{To: email.String(), Subject: "Welcome aboard!", UserID: r.Change.Keys["id"].String()}
		if n, ok := img["name"]; ok && n.DataType() == events.DataTypeString {
			w.Name = n.String()
		}
		body, err := json.Marshal(w)
		if err != nil {
			return queued, err
		}
		s := string(body)
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: &s}); err != nil {
			return queued, fmt.Errorf("queue the welcome for %s: %w", w.To, err)
		}
		log.Printf("queued a welcome for %s", w.To)
		queued++
	}
	return queued, nil
}

func main() { lambda.Start(handle) }
