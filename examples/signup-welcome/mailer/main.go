// Command mailer is the last step of examples/signup-welcome: it consumes
// the welcome emails the welcome function queues, renders each as an
// RFC 5322 message and "sends" it by writing it to the sent-mail bucket
// named by SENT_BUCKET, under sent/USERID.eml. A message that fails is
// reported back alone (ReportBatchItemFailures), so the rest of its batch
// is not sent twice.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Welcome is the queued message (examples/signup-welcome/main.go).
type Welcome struct {
	To      string `json:"to"`
	Name    string `json:"name,omitempty"`
	Subject string `json:"subject"`
	UserID  string `json:"userId"`
}

// render makes the email's text.
func render(w Welcome, from string, at time.Time) ([]byte, error) {
	if w.To == "" || w.UserID == "" {
		return nil, fmt.Errorf("a welcome needs to and userId: %+v", w)
	}
	to := (&mail.Address{Name: w.Name, Address: w.To}).String()
	greeting := "Hello"
	if w.Name != "" {
		greeting += " " + w.Name
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, to, w.Subject, at.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <welcome-%s@updraft.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", w.UserID)
	fmt.Fprintf(&b, "%s,\r\n\r\nwelcome aboard! Your account %s is ready.\r\n\r\n-- \r\nThe team\r\n", greeting, w.UserID)
	return b.Bytes(), nil
}

func handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return resp, err
	}
	client := s3.NewFromConfig(cfg)
	bucket := os.Getenv("SENT_BUCKET")
	from := os.Getenv("MAIL_FROM")
	if from == "" {
		from = "welcome@example.com"
	}
	for _, m := range ev.Records {
		if err := send(ctx, client, bucket, from, m.Body); err != nil {
			log.Printf("message %s: %v", m.MessageId, err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func send(ctx context.Context, client *s3.Client, bucket, from, body string) error {
	var w Welcome
	dec := json.NewDecoder(strings.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("not a welcome: %w", err)
	}
	text, err := render(w, from, time.Now().UTC())
	if err != nil {
		return err
	}
	key := "sent/" + w.UserID + ".eml"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(text), ContentType: aws.String("message/rfc822"),
	}); err != nil {
		return fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	log.Printf("sent the welcome for %s to %s/%s", w.To, bucket, key)
	return nil
}

func main() { lambda.Start(handle) }
