package compat

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestSQSDeadLetterQueue: a message received more than maxReceiveCount
// times moves to the queue named by RedrivePolicy.
func TestSQSDeadLetterQueue(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	dlq := createQueue(t, ctx, c, "jobs-dlq", nil)
	arn := func(url string) string {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"QueueArn"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["QueueArn"]
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, arn(dlq))
	url := createQueue(t, ctx, c, "jobs", map[string]string{"RedrivePolicy": policy})
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orphan"), Attributes: map[string]string{
		"RedrivePolicy": strings.Replace(policy, "jobs-dlq", "missing", 1)}})
	wantAPIError(t, err, "InvalidAttributeValue")

	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("poison")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ { // received and given back twice
		m := receiveN(t, ctx, c, url, 1, sqs.ReceiveMessageInput{})[0]
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("third receive from the source: %v %+v", err, out.Messages)
	}
	moved := receiveN(t, ctx, c, dlq, 1, sqs.ReceiveMessageInput{})[0]
	if aws.ToString(moved.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(moved.Body) != "poison" {
		t.Fatalf("in the dead-letter queue: %+v", moved)
	}
	src, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil || len(src.QueueUrls) != 1 || src.QueueUrls[0] != url {
		t.Fatalf("ListDeadLetterSourceQueues: %v %v", err, src)
	}
	got, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if err != nil || !strings.Contains(got.Attributes["RedrivePolicy"], `"maxReceiveCount":2`) {
		t.Fatalf("RedrivePolicy: %v %v", err, got)
	}
}

// TestSQSFIFO: order within a group, de-duplication by id and by content,
// sequence numbers, and the FIFO rules.
func TestSQSFIFO(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain.fifo")})
	wantAPIError(t, err, "InvalidParameterValue")
	url := createQueue(t, ctx, c, "events.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	var last string
	for i := 0; i < 6; i++ {
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprint("m", i)), MessageGroupId: aws.String("g1")})
		if err != nil {
			t.Fatalf("SendMessage %d: %v", i, err)
		}
		if seq := aws.ToString(out.SequenceNumber); seq <= last {
			t.Fatalf("SequenceNumber %q after %q", seq, last)
		} else {
			last = seq
		}
	}
	// Same content within five minutes: stored once.
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("m0"), MessageGroupId: aws.String("g1")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d1", "d1"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x-" + id),
			MessageGroupId: aws.String("g1"), MessageDeduplicationId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	var bodies []string
	for try := 0; len(bodies) < 7 && try < 20; try++ {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 3, WaitTimeSeconds: 2,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if m.Attributes["MessageGroupId"] != "g1" || m.Attributes["SequenceNumber"] == "" || m.Attributes["MessageDeduplicationId"] == "" {
				t.Fatalf("FIFO attributes: %v", m.Attributes)
			}
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := strings.Join(bodies, ","); got != "m0,m1,m2,m3,m4,m5,x-d1" {
		t.Fatalf("FIFO order: %s", got)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("no group")})
	wantAPIError(t, err, "MissingParameter")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("d"), MessageGroupId: aws.String("g"), DelaySeconds: 5})
	wantAPIError(t, err, "InvalidParameterValue")
	strict := createQueue(t, ctx, c, "strict.fifo", map[string]string{"FifoQueue": "true"})
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(strict), MessageBody: aws.String("d"), MessageGroupId: aws.String("g")})
	wantAPIError(t, err, "InvalidParameterValue")
}

// TestSQSTenantIsolation: another tenant sees none of the queues, not
// even by URL or ARN.
func TestSQSTenantIsolation(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	a := p.sqs()
	url := createQueue(t, ctx, a, "private", nil)
	if _, err := a.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("secret")}); err != nil {
		t.Fatal(err)
	}
	kb, err := p.tenantKey(ctx, t, p.key.APIKey, "team-b")
	if err != nil {
		t.Fatal(err)
	}
	b := p.sqsClient(kb.AccessKeyID, kb.SecretAccessKey)
	list, err := b.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(list.QueueUrls) != 0 {
		t.Fatalf("team-b ListQueues: %v %v", err, list.QueueUrls)
	}
	_, err = b.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("private")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = b.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = b.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = b.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	// Team b's own queue of the same name is another queue.
	burl := createQueue(t, ctx, b, "private", nil)
	if burl == url {
		t.Fatalf("both tenants got %s", url)
	}
	out, err := b.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(burl), WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("team b received %v %+v", err, out.Messages)
	}
}

// TestSQSErrors: SQS's error codes, each with a message.
func TestSQSErrors(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	url := createQueue(t, ctx, c, "e", nil)
	_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 256<<10+1))})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("bad \x01 char")})
	wantAPIError(t, err, "InvalidMessageContents")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("")})
	wantAPIError(t, err, "MissingParameter")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
		"n": {DataType: aws.String("Number"), StringValue: aws.String("twelve")}}})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), DelaySeconds: 901})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(strings.TrimSuffix(url, "/e") + "/nope"), MessageBody: aws.String("x")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("x"), VisibilityTimeout: 43201})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Colour"}})
	wantAPIError(t, err, "InvalidAttributeName")
}
