package compat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/fn"
)

func (p *platform) snsClient(id, secret string) *sns.Client {
	return sns.New(sns.Options{
		Region: "local", BaseEndpoint: aws.String(p.endpoint), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
	})
}

// sqsQueue creates a queue with the SQS API and returns its URL and ARN.
func sqsQueue(ctx context.Context, t *testing.T, c *sqs.Client, name string) (url, arn string) {
	t.Helper()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return *q.QueueUrl, a.Attributes["QueueArn"]
}

// receiveAll reads what a queue holds (waiting up to wait for the first).
func receiveAll(ctx context.Context, t *testing.T, c *sqs.Client, url string, wait int32) []string {
	t.Helper()
	var out []string
	for {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) == 0 {
			return out
		}
		for _, m := range r.Messages {
			out = append(out, *m.Body)
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		wait = 0
	}
}

// TestSNSFanOut: one topic, two SQS queues (one filtered, one raw) and a
// Lambda function (filtered): every matching subscriber gets the message
// in SNS's shape, through the real SNS and SQS clients.
func TestSNSFanOut(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, q := p.snsClient(p.key.AccessKeyID, p.key.SecretAccessKey), p.sqs()
	if _, err := p.lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("onorder"), Runtime: ltypes.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &ltypes.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": `import json
def handler(event, context):
    r = event["Records"][0]
    print("SNS-EVENT", r["EventSource"], r["EventSubscriptionArn"], r["Sns"]["Message"], r["Sns"]["MessageAttributes"]["color"]["Value"])
`})},
	}); err != nil {
		t.Fatal(err)
	}
	tp, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"DisplayName": "Orders"},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sns:local:" + fn.AccountID("default") + ":orders"; *tp.TopicArn != want {
		t.Errorf("topic ARN %s, want %s", *tp.TopicArn, want)
	}
	redURL, redARN := sqsQueue(ctx, t, q, "red-orders")
	rawURL, rawARN := sqsQueue(ctx, t, q, "raw-orders")
	redSub, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(redARN),
		Attributes: map[string]string{"FilterPolicy": `{"color":["red"],"qty":[{"numeric":[">",2]}]}`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(rawARN),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	fnSub, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("lambda"),
		Endpoint: aws.String(fn.ARN("default", "onorder", "")), Attributes: map[string]string{"FilterPolicy": `{"color":[{"prefix":"re"}]}`}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: redSub.SubscriptionArn})
	if err != nil || a.Attributes["Protocol"] != "sqs" || a.Attributes["FilterPolicyScope"] != "MessageAttributes" || a.Attributes["PendingConfirmation"] != "false" {
		t.Errorf("subscription attributes %v, %v", a.Attributes, err)
	}

	red, err := c.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("three red"), Subject: aws.String("order"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color": {DataType: aws.String("String"), StringValue: aws.String("red")},
			"qty":   {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"raw":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
			"tags":  {DataType: aws.String("String.Array"), StringValue: aws.String(`["a","b"]`)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: tp.TopicArn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("blue"), Message: aws.String("one blue"), MessageAttributes: map[string]types.MessageAttributeValue{
			"color": {DataType: aws.String("String"), StringValue: aws.String("blue")}}},
		{Id: aws.String("empty"), Message: aws.String("")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 1 || *batch.Successful[0].Id != "blue" || len(batch.Failed) != 1 || *batch.Failed[0].Id != "empty" || !batch.Failed[0].SenderFault {
		t.Errorf("PublishBatch: %+v %+v", batch.Successful, batch.Failed)
	}

	got := receiveAll(ctx, t, q, redURL, 2)
	if len(got) != 1 {
		t.Fatalf("filtered queue holds %q, want the red order only", got)
	}
	var env struct {
		Type, MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion, UnsubscribeURL string
		MessageAttributes                                                                        map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(got[0]), &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "Notification" || env.MessageId != *red.MessageId || env.TopicArn != *tp.TopicArn || env.Subject != "order" ||
		env.Message != "three red" || env.SignatureVersion != "1" || !strings.Contains(env.UnsubscribeURL, "Action=Unsubscribe") {
		t.Errorf("envelope %+v", env)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", env.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", env.Timestamp, err)
	}
	if env.MessageAttributes["qty"].Type != "Number" || env.MessageAttributes["raw"].Value != "AAEC" || env.MessageAttributes["tags"].Value != `["a","b"]` {
		t.Errorf("envelope attributes %+v", env.MessageAttributes)
	}
	if raw := receiveAll(ctx, t, q, rawURL, 2); len(raw) != 2 || !contains(raw, "three red") || !contains(raw, "one blue") {
		t.Errorf("raw queue holds %q", raw)
	}

	api := apiclient.New(p.endpoint, p.key.APIKey)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var lines []string
		if err := api.Logs(ctx, "onorder", "", false, func(e fn.LogEntry) error {
			if strings.Contains(e.Message, "SNS-EVENT") {
				lines = append(lines, e.Message)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(lines) > 0 {
			if len(lines) != 1 || !strings.Contains(lines[0], "aws:sns "+*fnSub.SubscriptionArn+" three red red") {
				t.Errorf("function logged %q", lines)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lambda subscriber never ran")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// hook is an HTTP subscriber on 127.0.0.1.
type hook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	reqs   []http.Header
	bodies []string
}

func newHook(t *testing.T) *hook {
	h := &hook{status: 200}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, r.Header.Clone())
		h.bodies = append(h.bodies, string(b))
		st := h.status
		h.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// waitFor polls until n requests arrived, returning the last.
func (h *hook) waitFor(t *testing.T, n int, within time.Duration) (http.Header, string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h.mu.Lock()
		if len(h.reqs) >= n {
			defer h.mu.Unlock()
			return h.reqs[n-1], h.bodies[n-1]
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("%s got fewer than %d requests in %v", h.srv.URL, n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// confirm subscribes h and confirms with the token it was sent: through
// ConfirmSubscription, or with viaURL as a subscriber does, by an
// unsigned GET of the SubscribeURL.
func confirm(ctx context.Context, t *testing.T, c *sns.Client, topicARN string, h *hook, viaURL bool) string {
	t.Helper()
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("http"), Endpoint: aws.String(h.srv.URL + "/sns")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.SubscriptionArn != "pending confirmation" {
		t.Errorf("http Subscribe returned %q", *out.SubscriptionArn)
	}
	hdr, body := h.waitFor(t, 1, 10*time.Second)
	var msg struct{ Type, Token, SubscribeURL string }
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatal(err)
	}
	if hdr.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || msg.Type != "SubscriptionConfirmation" ||
		!strings.Contains(msg.SubscribeURL, "Action=ConfirmSubscription") {
		t.Fatalf("confirmation %v %q", hdr, body)
	}
	if viaURL {
		bad, err := http.Get(strings.Replace(msg.SubscribeURL, "Token=", "Token=0", 1))
		if err != nil {
			t.Fatal(err)
		}
		errBody, _ := io.ReadAll(bad.Body)
		_ = bad.Body.Close()
		if bad.StatusCode != http.StatusBadRequest || !strings.Contains(string(errBody),
			`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid token`) ||
			!strings.Contains(string(errBody), "<RequestId>") {
			t.Errorf("SubscribeURL with a wrong token: %s %s", bad.Status, errBody)
		}
		resp, err := http.Get(msg.SubscribeURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<ConfirmSubscriptionResult><SubscriptionArn>"+topicARN+":") {
			t.Fatalf("SubscribeURL answered %s %s", resp.Status, body)
		}
		arn, _, _ := strings.Cut(strings.SplitN(string(body), "<SubscriptionArn>", 2)[1], "<")
		a, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)})
		if err != nil || a.Attributes["PendingConfirmation"] != "false" || a.Attributes["ConfirmationWasAuthenticated"] != "false" {
			t.Errorf("after the SubscribeURL: %v %v", a.Attributes, err)
		}
		return arn
	}
	conf, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topicARN), Token: aws.String(msg.Token)})
	if err != nil {
		t.Fatal(err)
	}
	return *conf.SubscriptionArn
}

// TestSNSFailingSubscriberDoesNotDelayOthers: an HTTP subscriber answering
// 500 is retried on its own, while another is served at once.
func TestSNSFailingSubscriberDoesNotDelayOthers(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := p.snsClient(p.key.AccessKeyID, p.key.SecretAccessKey)
	tp, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("hooks")})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := newHook(t), newHook(t)
	goodARN := confirm(ctx, t, c, *tp.TopicArn, good, true)
	confirm(ctx, t, c, *tp.TopicArn, bad, false)
	bad.mu.Lock()
	bad.status = 500
	bad.mu.Unlock()
	var msgIDs []string
	for _, m := range []string{"first", "second"} {
		out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(m)})
		if err != nil {
			t.Fatal(err)
		}
		msgIDs = append(msgIDs, *out.MessageId)
	}
	// Both notifications reach the healthy subscriber while the failing
	// one's first attempt fails and waits 20 s for its retry.
	hdr, body := good.waitFor(t, 3, 10*time.Second)
	if hdr.Get("x-amz-sns-message-type") != "Notification" || hdr.Get("x-amz-sns-message-id") != msgIDs[1] ||
		hdr.Get("x-amz-sns-topic-arn") != *tp.TopicArn || hdr.Get("x-amz-sns-subscription-arn") != goodARN ||
		!strings.Contains(body, `"Message":"second"`) {
		t.Errorf("notification %v %s", hdr, body)
	}
	bad.waitFor(t, 2, 10*time.Second)
	list, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: tp.TopicArn})
	if err != nil || len(list.Subscriptions) != 2 {
		t.Fatalf("ListSubscriptionsByTopic %v %v", list, err)
	}
}

// TestSNSIsolationAndErrors: another tenant's topic is NotFound; bad input
// gets SNS's error codes; tags, attributes, listing and deletion work.
func TestSNSIsolationAndErrors(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := p.snsClient(p.key.AccessKeyID, p.key.SecretAccessKey)
	tp, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("private")})
	if err != nil {
		t.Fatal(err)
	}
	adminKey, err := os.ReadFile(p.daemon.AdminKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := p.tenantKey(ctx, t, strings.TrimSpace(string(adminKey)), "team-b")
	if err != nil {
		t.Fatal(err)
	}
	b := p.snsClient(kb.AccessKeyID, kb.SecretAccessKey)
	_, err = b.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("x")})
	wantAPIError(t, err, "NotFound")
	_, err = b.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	wantAPIError(t, err, "NotFound")
	if l, err := b.ListTopics(ctx, &sns.ListTopicsInput{}); err != nil || len(l.Topics) != 0 {
		t.Errorf("team-b lists %v, %v", l, err)
	}
	_, err = b.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("private")})
	if err != nil {
		t.Fatal(err)
	}
	bq, err := b.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Subscribe(ctx, &sns.SubscribeInput{TopicArn: bq.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:local:" + fn.AccountID("default") + ":theirs")})
	wantAPIError(t, err, "AuthorizationError")

	_, err = c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sms"), Endpoint: aws.String("+15555550100")})
	wantAPIError(t, err, "InvalidParameter")
	_, err = c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:local:" + fn.AccountID("default") + ":missing")})
	wantAPIError(t, err, "InvalidParameter")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:local:" + fn.AccountID("default") + ":nope"), Message: aws.String("x")})
	wantAPIError(t, err, "NotFound")
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name")})
	wantAPIError(t, err, "InvalidParameter")

	if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Private")}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	if err != nil || attrs.Attributes["DisplayName"] != "Private" || attrs.Attributes["Owner"] != fn.AccountID("default") {
		t.Errorf("GetTopicAttributes %v %v", attrs, err)
	}
	if _, err := c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: tp.TopicArn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: tp.TopicArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "test" {
		t.Errorf("tags %v %v", tags, err)
	}
	if _, err := c.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: tp.TopicArn, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: tp.TopicArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	wantAPIError(t, err, "NotFound")
}

// TestSNSRawDeliveryAttributes: with raw delivery to a queue, the message
// attributes arrive as SQS message attributes (the SDK checks their MD5).
func TestSNSRawDeliveryAttributes(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, q := p.snsClient(p.key.AccessKeyID, p.key.SecretAccessKey), p.sqs()
	tp, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("rawattrs")})
	if err != nil {
		t.Fatal(err)
	}
	url, arn := sqsQueue(ctx, t, q, "rawattrs")
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("plain body"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color": {DataType: aws.String("String"), StringValue: aws.String("red")},
			"qty":   {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":  {DataType: aws.String("Binary"), BinaryValue: []byte{9, 8}},
		}}); err != nil {
		t.Fatal(err)
	}
	r, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2, MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Messages) != 1 || *r.Messages[0].Body != "plain body" {
		t.Fatalf("received %+v", r.Messages)
	}
	ma := r.Messages[0].MessageAttributes
	if aws.ToString(ma["color"].StringValue) != "red" || aws.ToString(ma["qty"].DataType) != "Number" ||
		string(ma["blob"].BinaryValue) != "\x09\x08" || r.Messages[0].MD5OfMessageAttributes == nil {
		t.Errorf("message attributes %+v", ma)
	}
}

// TestSNSAsDestination: an asynchronous invocation's OnFailure destination
// may be a topic: its subscribers get the destination record as the
// message.
func TestSNSAsDestination(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, q, l := p.snsClient(p.key.AccessKeyID, p.key.SecretAccessKey), p.sqs(), p.lambda()
	tp, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("failures")})
	if err != nil {
		t.Fatal(err)
	}
	url, arn := sqsQueue(ctx, t, q, "failures")
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("flaky"), Runtime: ltypes.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &ltypes.FunctionCode{ZipFile: pythonZip(t, "v1")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("flaky"), MaximumRetryAttempts: aws.Int32(0),
		DestinationConfig: &ltypes.DestinationConfig{OnFailure: &ltypes.OnFailure{Destination: tp.TopicArn}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("flaky"), InvocationType: ltypes.InvocationTypeEvent,
		Payload: []byte(`{"fail":true}`)}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(60 * time.Second); len(got) == 0; {
		if got = receiveAll(ctx, t, q, url, 2); len(got) == 0 && time.Now().After(deadline) {
			t.Fatal("no destination record reached the topic's queue")
		}
	}
	var env struct{ Type, TopicArn, Message string }
	if err := json.Unmarshal([]byte(got[0]), &env); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		RequestContext struct{ Condition string } `json:"requestContext"`
		RequestPayload map[string]any             `json:"requestPayload"`
	}
	if err := json.Unmarshal([]byte(env.Message), &rec); err != nil || len(got) != 1 || env.TopicArn != *tp.TopicArn ||
		rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestPayload["fail"] != true {
		t.Errorf("topic delivered %q (%v)", got, err)
	}
}

// TestSNSAWSCLI drives topics with the aws CLI (v1, botocore's own query
// parser; skipped where it is not installed).
func TestSNSAWSCLI(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", p.endpoint, "--output", "json", "sns"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+p.key.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+p.key.SecretAccessKey,
			"AWS_DEFAULT_REGION=local", "AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials", "HOME="+home)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(v any, args ...string) {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("aws sns %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("aws sns %s: %v in %s", args[0], err, out)
			}
		}
	}
	var created struct{ TopicArn string }
	must(&created, "create-topic", "--name", "cli", "--attributes", "DisplayName=From the CLI")
	url, arn := sqsQueue(ctx, t, p.sqs(), "cli-sink")
	var sub struct{ SubscriptionArn string }
	must(&sub, "subscribe", "--topic-arn", created.TopicArn, "--protocol", "sqs", "--notification-endpoint", arn,
		"--attributes", `{"RawMessageDelivery":"true"}`)
	var pub struct{ MessageId string }
	must(&pub, "publish", "--topic-arn", created.TopicArn, "--message", "from the cli",
		"--message-attributes", `{"kind":{"DataType":"String","StringValue":"cli"}}`)
	if got := receiveAll(ctx, t, p.sqs(), url, 2); len(got) != 1 || got[0] != "from the cli" || pub.MessageId == "" {
		t.Errorf("published %q, queue holds %q", pub.MessageId, got)
	}
	var attrs struct{ Attributes map[string]string }
	must(&attrs, "get-topic-attributes", "--topic-arn", created.TopicArn)
	if attrs.Attributes["DisplayName"] != "From the CLI" || attrs.Attributes["SubscriptionsConfirmed"] != "1" {
		t.Errorf("get-topic-attributes: %v", attrs.Attributes)
	}
	var subs struct {
		Subscriptions []struct{ SubscriptionArn, Protocol, Endpoint string }
	}
	must(&subs, "list-subscriptions")
	if len(subs.Subscriptions) != 1 || subs.Subscriptions[0].SubscriptionArn != sub.SubscriptionArn || subs.Subscriptions[0].Endpoint != arn {
		t.Errorf("list-subscriptions: %+v", subs)
	}
	out, err := run("publish", "--topic-arn", created.TopicArn+"x", "--message", "x")
	if err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("publish to a missing topic: %v %s", err, out)
	}
	must(nil, "delete-topic", "--topic-arn", created.TopicArn)
}
