package compat

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// queryCall sends one SQS query protocol request (form-encoded, signed
// with SigV4 for "sqs", as older SDKs send it) and returns the status and
// the XML reply.
func (p *platform) queryCall(t *testing.T, ctx context.Context, form url.Values) (int, []byte) {
	t.Helper()
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: p.key.AccessKeyID, SecretAccessKey: p.key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", "local", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

func (p *platform) query(t *testing.T, ctx context.Context, out any, kv ...string) {
	t.Helper()
	form := url.Values{"Version": {"2012-11-05"}}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	status, data := p.queryCall(t, ctx, form)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", form.Get("Action"), status, data)
	}
	if out != nil {
		if err := xml.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: %v in %s", form.Get("Action"), err, data)
		}
	}
}

type nameValue struct {
	Name  string
	Value string
}

// TestSQSQueryProtocol: the query protocol (Action=…, XML replies) gives
// the same results as the JSON protocol, errors included.
func TestSQSQueryProtocol(t *testing.T) {
	p := start(t)
	ctx := sqsCtx(t)
	var created struct {
		URL       string `xml:"CreateQueueResult>QueueUrl"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	p.query(t, ctx, &created, "Action", "CreateQueue", "QueueName", "legacy",
		"Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "40", "Tag.1.Key", "team", "Tag.1.Value", "a")
	if !strings.HasSuffix(created.URL, "/legacy") || created.RequestID == "" {
		t.Fatalf("CreateQueue: %+v", created)
	}
	q := created.URL
	var sent struct {
		ID      string `xml:"SendMessageResult>MessageId"`
		MD5Body string `xml:"SendMessageResult>MD5OfMessageBody"`
		MD5Attr string `xml:"SendMessageResult>MD5OfMessageAttributes"`
	}
	p.query(t, ctx, &sent, "Action", "SendMessage", "QueueUrl", q, "MessageBody", "<hello & bye>\r\n",
		"MessageAttribute.1.Name", "SellerName", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", "Example Store")
	if sent.MD5Body != md5hex("<hello & bye>\r\n") || sent.MD5Attr != "cd28f3b68aeee4b2eac9c66f2f694b58" || sent.ID == "" {
		t.Fatalf("SendMessage: %+v", sent)
	}
	var batch struct {
		OK []struct {
			ID string `xml:"Id"`
		} `xml:"SendMessageBatchResult>SendMessageBatchResultEntry"`
		Failed []struct {
			ID   string `xml:"Id"`
			Code string
		} `xml:"SendMessageBatchResult>BatchResultErrorEntry"`
	}
	p.query(t, ctx, &batch, "Action", "SendMessageBatch", "QueueUrl", q,
		"SendMessageBatchRequestEntry.1.Id", "one", "SendMessageBatchRequestEntry.1.MessageBody", "b1",
		"SendMessageBatchRequestEntry.2.Id", "two", "SendMessageBatchRequestEntry.2.MessageBody", "b2",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Name", "bin", "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType", "Binary",
		"SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.BinaryValue", "AAEC",
		"SendMessageBatchRequestEntry.3.Id", "three", "SendMessageBatchRequestEntry.3.MessageBody", "b3", "SendMessageBatchRequestEntry.3.DelaySeconds", "999")
	if len(batch.OK) != 2 || len(batch.Failed) != 1 || batch.Failed[0].ID != "three" || batch.Failed[0].Code != "InvalidParameterValue" {
		t.Fatalf("SendMessageBatch: %+v", batch)
	}

	type message struct {
		ID          string `xml:"MessageId"`
		Handle      string `xml:"ReceiptHandle"`
		MD5OfBody   string
		Body        string
		Attributes  []nameValue `xml:"Attribute"`
		MessageAttr []struct {
			Name  string
			Value struct {
				StringValue string
				BinaryValue string
				DataType    string
			}
		} `xml:"MessageAttribute"`
	}
	var got []message
	for try := 0; len(got) < 3 && try < 5; try++ {
		var recv struct {
			Messages []message `xml:"ReceiveMessageResult>Message"`
		}
		p.query(t, ctx, &recv, "Action", "ReceiveMessage", "QueueUrl", q, "MaxNumberOfMessages", "10", "WaitTimeSeconds", "2",
			"AttributeName.1", "All", "MessageAttributeName.1", "All")
		got = append(got, recv.Messages...)
	}
	if len(got) != 3 {
		t.Fatalf("received %d messages, want 3", len(got))
	}
	for _, m := range got {
		if m.MD5OfBody != md5hex(m.Body) {
			t.Fatalf("MD5OfBody of %q: %s", m.Body, m.MD5OfBody)
		}
		switch m.Body {
		case "<hello & bye>\r\n":
			if len(m.MessageAttr) != 1 || m.MessageAttr[0].Value.StringValue != "Example Store" || !hasAttr(m.Attributes, "ApproximateReceiveCount", "1") {
				t.Fatalf("first message: %+v", m)
			}
		case "b2":
			if len(m.MessageAttr) != 1 || m.MessageAttr[0].Value.BinaryValue != "AAEC" || m.MessageAttr[0].Value.DataType != "Binary" {
				t.Fatalf("binary attribute: %+v", m)
			}
		}
		p.query(t, ctx, nil, "Action", "DeleteMessage", "QueueUrl", q, "ReceiptHandle", m.Handle)
	}

	var attrs struct {
		Attributes []nameValue `xml:"GetQueueAttributesResult>Attribute"`
	}
	p.query(t, ctx, &attrs, "Action", "GetQueueAttributes", "QueueUrl", q, "AttributeName.1", "All")
	if !hasAttr(attrs.Attributes, "VisibilityTimeout", "40") || !hasAttr(attrs.Attributes, "ApproximateNumberOfMessagesNotVisible", "0") {
		t.Fatalf("GetQueueAttributes: %+v", attrs)
	}
	var tags struct {
		Tags []struct{ Key, Value string } `xml:"ListQueueTagsResult>Tag"`
	}
	p.query(t, ctx, &tags, "Action", "ListQueueTags", "QueueUrl", q)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "team" || tags.Tags[0].Value != "a" {
		t.Fatalf("ListQueueTags: %+v", tags)
	}
	var list struct {
		URLs []string `xml:"ListQueuesResult>QueueUrl"`
	}
	p.query(t, ctx, &list, "Action", "ListQueues", "QueueNamePrefix", "leg")
	if len(list.URLs) != 1 || list.URLs[0] != q {
		t.Fatalf("ListQueues: %+v", list)
	}

	for _, c := range []struct {
		form []string
		code string
	}{
		{[]string{"Action", "GetQueueUrl", "QueueName", "nope"}, "AWS.SimpleQueueService.NonExistentQueue"},
		{[]string{"Action", "Fly"}, "InvalidAction"},
		{[]string{"Action", "ReceiveMessage", "QueueUrl", q, "MaxNumberOfMessages", "ten"}, "InvalidParameterValue"},
		{[]string{"Action", "DeleteMessageBatch", "QueueUrl", q}, "AWS.SimpleQueueService.EmptyBatchRequest"},
	} {
		form := url.Values{}
		for i := 0; i < len(c.form); i += 2 {
			form.Set(c.form[i], c.form[i+1])
		}
		status, data := p.queryCall(t, ctx, form)
		var e struct {
			Type      string `xml:"Error>Type"`
			Code      string `xml:"Error>Code"`
			Message   string `xml:"Error>Message"`
			RequestID string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(data, &e); err != nil || status != http.StatusBadRequest || e.Code != c.code || e.Type != "Sender" || e.Message == "" || e.RequestID == "" {
			t.Errorf("%s: %d %s, want 400 %s", c.form[1], status, data, c.code)
		}
	}
}

func hasAttr(attrs []nameValue, name, value string) bool {
	for _, a := range attrs {
		if a.Name == name && a.Value == value {
			return true
		}
	}
	return false
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestSQSAWSCLI drives the queue with the aws CLI (v1; skipped where it
// is not installed).
func TestSQSAWSCLI(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	p := start(t)
	ctx := sqsCtx(t)
	home := t.TempDir()
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", p.endpoint, "--output", "json", "sqs"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+p.key.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+p.key.SecretAccessKey,
			"AWS_DEFAULT_REGION=local", "AWS_CONFIG_FILE="+home+"/config", "AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials", "HOME="+home)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(v any, args ...string) {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("aws sqs %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("aws sqs %s: %v in %s", args[0], err, out)
			}
		}
	}
	var created struct{ QueueUrl string }
	must(&created, "create-queue", "--queue-name", "cli", "--attributes", "VisibilityTimeout=20")
	var sent struct{ MD5OfMessageBody, MD5OfMessageAttributes string }
	must(&sent, "send-message", "--queue-url", created.QueueUrl, "--message-body", "from the cli",
		"--message-attributes", `{"SellerName":{"DataType":"String","StringValue":"Example Store"}}`)
	if sent.MD5OfMessageBody != md5hex("from the cli") || sent.MD5OfMessageAttributes != "cd28f3b68aeee4b2eac9c66f2f694b58" {
		t.Fatalf("send-message: %+v", sent)
	}
	var recv struct {
		Messages []struct {
			Body, ReceiptHandle, MD5OfBody string
			Attributes                     map[string]string
		}
	}
	must(&recv, "receive-message", "--queue-url", created.QueueUrl, "--wait-time-seconds", "5", "--attribute-names", "All", "--message-attribute-names", "All")
	if len(recv.Messages) != 1 || recv.Messages[0].Body != "from the cli" || recv.Messages[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("receive-message: %+v", recv)
	}
	must(nil, "delete-message", "--queue-url", created.QueueUrl, "--receipt-handle", recv.Messages[0].ReceiptHandle)
	var attrs struct{ Attributes map[string]string }
	must(&attrs, "get-queue-attributes", "--queue-url", created.QueueUrl, "--attribute-names", "All")
	if attrs.Attributes["VisibilityTimeout"] != "20" || attrs.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("get-queue-attributes: %+v", attrs)
	}
	out, err := run("get-queue-url", "--queue-name", "nope")
	if err == nil || !strings.Contains(out, "NonExistentQueue") {
		t.Fatalf("get-queue-url of a missing queue: %v\n%s", err, out)
	}
	must(nil, "delete-queue", "--queue-url", created.QueueUrl)
}
