package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SQS calls one action of Updraft's SQS-compatible API with the SQS JSON
// protocol (X-Amz-Target: AmazonSQS.ACTION) on the endpoint, signed in
// with the client's API key. in and out are the action's JSON shapes; an
// error reply is an *Error whose Type is SQS's code (QueueDoesNotExist,
// InvalidParameterValue, …).
func (c *Client) SQS(ctx context.Context, action string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("apiclient: %s: %w", action, err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/", nil, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	_, err = c.doJSON(req, out, http.StatusOK)
	var e *Error
	if errors.As(err, &e) {
		_, e.Type, _ = cutLast(e.Type, "#") // com.amazonaws.sqs#QueueDoesNotExist
	}
	return err
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return "", s, false
}

// QueueURL returns the URL of the caller's queue name.
func (c *Client) QueueURL(ctx context.Context, name string) (string, error) {
	var out struct{ QueueUrl string }
	err := c.SQS(ctx, "GetQueueUrl", map[string]string{"QueueName": name}, &out)
	return out.QueueUrl, err
}

// CreateQueue creates a queue with SQS attributes and returns its URL.
func (c *Client) CreateQueue(ctx context.Context, name string, attrs map[string]string) (string, error) {
	var out struct{ QueueUrl string }
	err := c.SQS(ctx, "CreateQueue", map[string]any{"QueueName": name, "Attributes": attrs}, &out)
	return out.QueueUrl, err
}

// ListQueues returns the URLs of the caller's queues.
func (c *Client) ListQueues(ctx context.Context) ([]string, error) {
	var out struct{ QueueUrls []string }
	err := c.SQS(ctx, "ListQueues", struct{}{}, &out)
	return out.QueueUrls, err
}

// QueueAttributes returns all of a queue's attributes.
func (c *Client) QueueAttributes(ctx context.Context, url string) (map[string]string, error) {
	var out struct{ Attributes map[string]string }
	err := c.SQS(ctx, "GetQueueAttributes", map[string]any{"QueueUrl": url, "AttributeNames": []string{"All"}}, &out)
	return out.Attributes, err
}

// SQSMessage is a message to send.
type SQSMessage struct {
	MessageBody            string
	DelaySeconds           *int   `json:",omitempty"`
	MessageGroupID         string `json:"MessageGroupId,omitempty"`
	MessageDeduplicationID string `json:"MessageDeduplicationId,omitempty"`
}

// SentMessage is SendMessage's reply.
type SentMessage struct {
	MessageID        string `json:"MessageId"`
	MD5OfMessageBody string
	SequenceNumber   string `json:",omitempty"`
}

// SendMessage sends one message to the queue at url.
func (c *Client) SendMessage(ctx context.Context, url string, m SQSMessage) (SentMessage, error) {
	in := struct {
		QueueURL string `json:"QueueUrl"`
		SQSMessage
	}{url, m}
	var out SentMessage
	err := c.SQS(ctx, "SendMessage", in, &out)
	return out, err
}

// ReceivedMessage is one message ReceiveMessage returned.
type ReceivedMessage struct {
	MessageID     string `json:"MessageId"`
	ReceiptHandle string
	Body          string
	Attributes    map[string]string
}

// ReceiveMessages receives up to max messages, waiting up to wait seconds
// for the first.
func (c *Client) ReceiveMessages(ctx context.Context, url string, max, wait int) ([]ReceivedMessage, error) {
	var out struct{ Messages []ReceivedMessage }
	err := c.SQS(ctx, "ReceiveMessage", map[string]any{"QueueUrl": url, "MaxNumberOfMessages": max, "WaitTimeSeconds": wait,
		"MessageSystemAttributeNames": []string{"All"}}, &out)
	return out.Messages, err
}

// DeleteMessage deletes a received message.
func (c *Client) DeleteMessage(ctx context.Context, url, receiptHandle string) error {
	return c.SQS(ctx, "DeleteMessage", map[string]string{"QueueUrl": url, "ReceiptHandle": receiptHandle}, nil)
}

// PurgeQueue deletes every message of a queue.
func (c *Client) PurgeQueue(ctx context.Context, url string) error {
	return c.SQS(ctx, "PurgeQueue", map[string]string{"QueueUrl": url}, nil)
}

// DeleteQueue deletes a queue and its messages.
func (c *Client) DeleteQueue(ctx context.Context, url string) error {
	return c.SQS(ctx, "DeleteQueue", map[string]string{"QueueUrl": url}, nil)
}
