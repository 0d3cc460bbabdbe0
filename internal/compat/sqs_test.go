package compat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsClient is the real AWS SDK SQS client pointed at the platform.
func (p *platform) sqsClient(id, secret string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "local",
		BaseEndpoint: aws.String(p.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func (p *platform) sqs() *sqs.Client { return p.sqsClient(p.key.AccessKeyID, p.key.SecretAccessKey) }

func sqsCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func createQueue(t *testing.T, ctx context.Context, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// receiveN receives until n messages arrived (long polls of 2 s, at most
// 10 tries).
func receiveN(t *testing.T, ctx context.Context, c *sqs.Client, url string, n int, in sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	var got []types.Message
	for try := 0; len(got) < n && try < 10; try++ {
		in.QueueUrl = aws.String(url)
		in.WaitTimeSeconds = 2
		if in.MaxNumberOfMessages == 0 {
			in.MaxNumberOfMessages = 10
		}
		out, err := c.ReceiveMessage(ctx, &in)
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		got = append(got, out.Messages...)
	}
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	return got
}

// TestSQSQueues: create (idempotent, conflicting), URL, list with prefix
// and pages, attributes, tags, delete.
func TestSQSQueues(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	url := createQueue(t, ctx, c, "orders", map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "0"})
	if !strings.HasSuffix(url, "/orders") || !strings.Contains(url, "/"+accountOf(t, ctx, c, url)+"/") {
		t.Fatalf("queue URL %s", url)
	}
	if again := createQueue(t, ctx, c, "orders", map[string]string{"VisibilityTimeout": "45"}); again != url {
		t.Fatalf("second CreateQueue returned %s, want %s", again, url)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "60"}})
	wantAPIError(t, err, "QueueAlreadyExists")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name!")})
	wantAPIError(t, err, "InvalidParameterValue")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"Colour": "blue"}})
	wantAPIError(t, err, "InvalidAttributeName")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"VisibilityTimeout": "90000"}})
	wantAPIError(t, err, "InvalidAttributeValue")

	for _, n := range []string{"orders-eu", "orders-us", "billing"} {
		createQueue(t, ctx, c, n, nil)
	}
	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Fatalf("GetQueueUrl: %v %v", err, got)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("orders")})
	if err != nil || len(list.QueueUrls) != 3 {
		t.Fatalf("ListQueues orders*: %v %v", err, list)
	}
	var pages []string
	pager := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, strings.Join(page.QueueUrls, ","))
	}
	if len(pages) != 2 || !strings.HasSuffix(pages[0], "/orders") || !strings.Contains(pages[1], "/orders-us") {
		t.Fatalf("ListQueues pages of 2: %q", pages)
	}

	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs.Attributes
	if a["VisibilityTimeout"] != "45" || a["MessageRetentionPeriod"] != "345600" || a["MaximumMessageSize"] != "262144" ||
		a["ApproximateNumberOfMessages"] != "0" || !strings.HasPrefix(a["QueueArn"], "arn:aws:sqs:") || !strings.HasSuffix(a["QueueArn"], ":orders") ||
		a["CreatedTimestamp"] == "" || a["LastModifiedTimestamp"] == "" {
		t.Fatalf("GetQueueAttributes All: %v", a)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"VisibilityTimeout": "5", "ReceiveMessageWaitTimeSeconds": "3", "MessageRetentionPeriod": "600"}}); err != nil {
		t.Fatal(err)
	}
	attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"VisibilityTimeout", "ReceiveMessageWaitTimeSeconds"}})
	if err != nil || len(attrs.Attributes) != 2 || attrs.Attributes["VisibilityTimeout"] != "5" || attrs.Attributes["ReceiveMessageWaitTimeSeconds"] != "3" {
		t.Fatalf("after SetQueueAttributes: %v %v", err, attrs)
	}
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"QueueArn": "x"}})
	wantAPIError(t, err, "InvalidAttributeName")

	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "shop", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "shop" {
		t.Fatalf("ListQueueTags: %v %v", err, tags)
	}

	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	var qe *types.QueueDoesNotExist
	if !errors.As(err, &qe) {
		t.Fatalf("GetQueueUrl of a deleted queue: %T %v, want *types.QueueDoesNotExist", err, err)
	}
}

func accountOf(t *testing.T, ctx context.Context, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(out.Attributes["QueueArn"], ":")
	return parts[4]
}

// TestSQSSendReceiveDelete: a message with attributes of every type goes
// through with SQS's MD5 digests (the SDK verifies the body's), system
// attributes, visibility and delete.
func TestSQSSendReceiveDelete(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	url := createQueue(t, ctx, c, "work", nil)
	body := "héllo\r\n\t{\"n\":1} 🎈"
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"SellerName": {DataType: aws.String("String"), StringValue: aws.String("Example Store")},
		}})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	// The digest AWS documents for this attribute.
	if aws.ToString(sent.MD5OfMessageAttributes) != "cd28f3b68aeee4b2eac9c66f2f694b58" || aws.ToString(sent.MessageId) == "" {
		t.Fatalf("SendMessage reply: %+v", sent)
	}
	second, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("two"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"count":   {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
			"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
			"trace.a": {DataType: aws.String("String"), StringValue: aws.String("x")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Minute).UnixMilli()
	msgs := receiveN(t, ctx, c, url, 2, sqs.ReceiveMessageInput{
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"},
		MessageAttributeNames:       []string{"All"},
		VisibilityTimeout:           30,
	})
	byID := map[string]types.Message{}
	for _, m := range msgs {
		byID[aws.ToString(m.MessageId)] = m
	}
	m1, m2 := byID[aws.ToString(sent.MessageId)], byID[aws.ToString(second.MessageId)]
	if aws.ToString(m1.Body) != body || aws.ToString(m1.MD5OfMessageAttributes) != "cd28f3b68aeee4b2eac9c66f2f694b58" {
		t.Fatalf("first message: %+v", m1)
	}
	if m1.Attributes["ApproximateReceiveCount"] != "1" || m1.Attributes["SenderId"] == "" {
		t.Fatalf("system attributes: %v", m1.Attributes)
	}
	if ts, _ := strconv.ParseInt(m1.Attributes["SentTimestamp"], 10, 64); ts < before {
		t.Fatalf("SentTimestamp %s", m1.Attributes["SentTimestamp"])
	}
	if aws.ToString(m2.MD5OfMessageAttributes) != aws.ToString(second.MD5OfMessageAttributes) ||
		string(m2.MessageAttributes["blob"].BinaryValue) != "\x00\x01\x02\xff" || aws.ToString(m2.MessageAttributes["count"].StringValue) != "42" {
		t.Fatalf("second message: %+v (sent %+v)", m2, second)
	}

	// Only the attributes asked for, with the digest of those.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m2.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again := receiveN(t, ctx, c, url, 1, sqs.ReceiveMessageInput{MessageAttributeNames: []string{"trace.*"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})[0]
	if aws.ToString(again.MessageId) != aws.ToString(second.MessageId) || again.Attributes["ApproximateReceiveCount"] != "2" ||
		len(again.MessageAttributes) != 1 || again.MessageAttributes["trace.a"].StringValue == nil || len(again.Attributes) != 1 {
		t.Fatalf("received again: %+v", again)
	}

	for _, h := range []*string{m1.ReceiptHandle, again.ReceiptHandle} {
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: h}); err != nil {
			t.Fatalf("DeleteMessage: %v", err)
		}
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("after delete: %v %d messages", err, len(out.Messages))
	}
	// Deleting a deleted message succeeds, as on SQS.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m1.ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage again: %v", err)
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("not-a-handle")})
	wantAPIError(t, err, "ReceiptHandleIsInvalid")
}

// TestSQSBatches: SendMessageBatch, DeleteMessageBatch and
// ChangeMessageVisibilityBatch with per-entry failures, and the batch
// errors.
func TestSQSBatches(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	url := createQueue(t, ctx, c, "batch", nil)
	entries := []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")},
		{Id: aws.String("b"), MessageBody: aws.String("two"), DelaySeconds: 0},
		{Id: aws.String("c"), MessageBody: aws.String("three"), MessageAttributes: map[string]types.MessageAttributeValue{
			"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}},
		{Id: aws.String("bad"), MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"k": {DataType: aws.String("Colour"), StringValue: aws.String("v")}}},
	}
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	if len(out.Successful) != 3 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "bad" ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" || !out.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch reply: %+v", out)
	}
	msgs := receiveN(t, ctx, c, url, 3, sqs.ReceiveMessageInput{})
	var del []types.DeleteMessageBatchRequestEntry
	var vis []types.ChangeMessageVisibilityBatchRequestEntry
	for i, m := range msgs {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("d", i)), ReceiptHandle: m.ReceiptHandle})
		vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(fmt.Sprint("v", i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
	}
	vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String("vbad"), ReceiptHandle: aws.String("nope"), VisibilityTimeout: 5})
	cv, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: vis})
	if err != nil || len(cv.Successful) != 3 || len(cv.Failed) != 1 || aws.ToString(cv.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("ChangeMessageVisibilityBatch: %v %+v", err, cv)
	}
	del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("dbad"), ReceiptHandle: aws.String("nope")})
	dm, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
	if err != nil || len(dm.Successful) != 3 || len(dm.Failed) != 1 || aws.ToString(dm.Failed[0].Id) != "dbad" {
		t.Fatalf("DeleteMessageBatch: %v %+v", err, dm)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{
		"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after the batches: %v %v", err, attrs)
	}

	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{}})
	wantAPIError(t, err, "AWS.SimpleQueueService.EmptyBatchRequest")
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("x"), MessageBody: aws.String("1")}, {Id: aws.String("x"), MessageBody: aws.String("2")}}})
	wantAPIError(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
	many := make([]types.SendMessageBatchRequestEntry, 11)
	for i := range many {
		many[i] = types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("m", i)), MessageBody: aws.String("b")}
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: many})
	wantAPIError(t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
	big := strings.Repeat("x", 100<<10)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String(big)}, {Id: aws.String("b"), MessageBody: aws.String(big)}, {Id: aws.String("c"), MessageBody: aws.String(big)}}})
	wantAPIError(t, err, "AWS.SimpleQueueService.BatchRequestTooLong")
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("no spaces"), MessageBody: aws.String("1")}}})
	wantAPIError(t, err, "AWS.SimpleQueueService.InvalidBatchEntryId")
}

// TestSQSZeroVisibilityAndPolicyRemoval: a queue whose VisibilityTimeout
// is 0 hands a received message out again at once; an empty RedrivePolicy
// removes the dead-letter policy.
func TestSQSZeroVisibilityAndPolicyRemoval(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	dlq := createQueue(t, ctx, c, "z-dlq", nil)
	url := createQueue(t, ctx, c, "z", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:local:` + accountOf(t, ctx, c, dlq) + `:z-dlq","maxReceiveCount":5}`})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("again")}); err != nil {
		t.Fatal(err)
	}
	first := receiveN(t, ctx, c, url, 1, sqs.ReceiveMessageInput{})[0]
	second := receiveN(t, ctx, c, url, 1, sqs.ReceiveMessageInput{MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})[0]
	if aws.ToString(second.MessageId) != aws.ToString(first.MessageId) || second.Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("with visibility 0, received %+v then %+v", first, second)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil || attrs.Attributes["RedrivePolicy"] != "" || attrs.Attributes["VisibilityTimeout"] != "0" {
		t.Fatalf("after removing the policy: %v %v", err, attrs.Attributes)
	}
	src, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil || len(src.QueueUrls) != 0 {
		t.Fatalf("ListDeadLetterSourceQueues after removal: %v %v", err, src.QueueUrls)
	}
}

// TestSQSLongPollAndDelay: a receive waiting on an empty queue gets a
// message sent while it waits; the queue's ReceiveMessageWaitTimeSeconds
// is the default wait; a delayed message is counted as delayed.
func TestSQSLongPollAndDelay(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	c := p.sqs()
	url := createQueue(t, ctx, c, "poll", map[string]string{"ReceiveMessageWaitTimeSeconds": "20"})
	got := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}) // waits by the queue's default
		if err != nil {
			t.Errorf("ReceiveMessage: %v", err)
		}
		got <- out
	}()
	time.Sleep(500 * time.Millisecond) // let the receive start waiting
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("late")}); err != nil {
		t.Fatal(err)
	}
	out := <-got
	if out == nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "late" {
		t.Fatalf("long poll got %+v", out)
	}

	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 600}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessagesDelayed"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("delayed count: %v %v", err, attrs)
	}
	short, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
	if err != nil || len(short.Messages) != 0 {
		t.Fatalf("a delayed message was received: %v %+v", err, short)
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "0" {
		t.Fatalf("after PurgeQueue: %v %v", err, attrs)
	}
}
