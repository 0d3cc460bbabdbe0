package topic_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/event"
	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/topic"
)

// queueInvoker is an AsyncInvoker that stores each invocation in the
// queue "invocations:FUNCTION" of the tenant, so tests read what a lambda
// subscriber would have been invoked with.
type queueInvoker struct{ q *queue.Manager }

func (qi queueInvoker) InvokeAsync(ctx context.Context, tenant, function, qualifier, requestID string, payload []byte) error {
	id := queue.ID{Tenant: tenant, Name: "invocations:" + function}
	if _, err := qi.q.Create(ctx, id, queue.Config{}); err != nil {
		return err
	}
	_, err := qi.q.Send(ctx, id, queue.Message{DedupID: requestID, Body: payload})
	return err
}

func isInvalid(err error) bool {
	return err != nil && fn.AsError(err).Type == fn.TypeInvalidParameterValue
}

type env struct {
	q   *queue.Manager
	svc *topic.Service
}

func open(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(ctx, st, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := topic.New(ctx, topic.Config{Store: st, Queues: q, Invoker: queueInvoker{q}, Endpoint: func() string { return "http://127.0.0.1:1/" }})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := svc.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := q.Close(ctx); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return &env{q: q, svc: svc}
}

func (e *env) queue(t *testing.T, tenant, name string, fifo bool) string {
	t.Helper()
	if _, err := e.q.Create(context.Background(), queue.ID{Tenant: tenant, Name: name}, queue.Config{FIFO: fifo}); err != nil {
		t.Fatal(err)
	}
	return "arn:aws:sqs:" + fn.Region + ":" + fn.AccountID(tenant) + ":" + name
}

// bodies receives every message of a queue that arrives within wait.
func (e *env) bodies(t *testing.T, tenant, name string, wait time.Duration) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for {
		ds, err := e.q.Receive(ctx, queue.ID{Tenant: tenant, Name: name}, queue.ReceiveOptions{Max: 10, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			return out
		}
		for _, d := range ds {
			out = append(out, string(d.Body))
			if err := e.q.Ack(ctx, d.Queue, d.Handle); err != nil {
				t.Fatal(err)
			}
		}
		wait = 0
	}
}

func mustSubscribe(t *testing.T, e *env, tenant, arn, proto, endpoint string, attrs map[string]string) *topic.Subscription {
	t.Helper()
	sub, err := e.svc.Subscribe(context.Background(), tenant, arn, proto, endpoint, attrs)
	if err != nil {
		t.Fatalf("subscribe %s %s: %v", proto, endpoint, err)
	}
	return sub
}

// TestFanOut: one publish reaches every matching subscriber, durably, with
// SNS's envelope (SQS), the raw message (raw delivery) and Lambda's event.
func TestFanOut(t *testing.T) {
	e := open(t)
	ctx := context.Background()
	tp, err := e.svc.CreateTopic(ctx, "acme", "orders", map[string]string{"DisplayName": "Orders"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := e.queue(t, "acme", "all", false)
	big := e.queue(t, "acme", "big", false)
	raw := e.queue(t, "acme", "raw", false)
	subAll := mustSubscribe(t, e, "acme", tp.ARN, "sqs", all, nil)
	mustSubscribe(t, e, "acme", tp.ARN, "sqs", big, map[string]string{"FilterPolicy": `{"size":[{"numeric":[">=",100]}]}`})
	mustSubscribe(t, e, "acme", tp.ARN, "sqs", raw, map[string]string{"RawMessageDelivery": "true"})
	fnSub := mustSubscribe(t, e, "acme", tp.ARN, "lambda", fn.ARN("acme", "worker", ""), map[string]string{"FilterPolicy": `{"kind":["order"]}`})
	if again := mustSubscribe(t, e, "acme", tp.ARN, "lambda", fn.ARN("acme", "worker", ""), nil); again.ARN != fnSub.ARN {
		t.Errorf("subscribing again made %s, want the existing %s", again.ARN, fnSub.ARN)
	}
	if _, err := e.svc.Subscribe(ctx, "acme", tp.ARN, "lambda", fn.ARN("acme", "worker", ""), map[string]string{"FilterPolicy": `{"kind":["other"]}`}); !isInvalid(err) {
		t.Errorf("subscribing again with other attributes: %v", err)
	}

	small, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Message: "small one", Subject: "s1",
		Attributes: map[string]topic.MessageAttribute{"size": {DataType: "Number", StringValue: "5"}, "kind": {DataType: "String", StringValue: "order"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Message: "big one",
		Attributes: map[string]topic.MessageAttribute{"size": {DataType: "Number", StringValue: "500"}}}); err != nil {
		t.Fatal(err)
	}

	got := e.bodies(t, "acme", "all", time.Second)
	if len(got) != 2 {
		t.Fatalf("queue all got %d messages: %q", len(got), got)
	}
	var env event.SNSNotification
	if err := json.Unmarshal([]byte(got[0]), &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "Notification" || env.MessageID != small.MessageID || env.TopicArn != tp.ARN || env.Message != "small one" ||
		env.Subject != "s1" || env.SignatureVersion != "1" || env.MessageAttributes["size"] != (event.SNSMessageAttribute{Type: "Number", Value: "5"}) ||
		env.UnsubscribeURL != event.UnsubscribeURL("http://127.0.0.1:1/", subAll.ARN) {
		t.Errorf("envelope %+v", env)
	}
	if b := e.bodies(t, "acme", "big", time.Second); len(b) != 1 || !json.Valid([]byte(b[0])) {
		t.Errorf("filtered queue got %q, want only the big one", b)
	}
	if b := e.bodies(t, "acme", "raw", time.Second); len(b) != 2 || b[0] != "small one" || b[1] != "big one" {
		t.Errorf("raw queue got %q", b)
	}
	// A subscribed queue deleted later costs only its own deliveries.
	if err := e.q.Delete(ctx, queue.ID{Tenant: "acme", Name: "big"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Message: "after delete",
		Attributes: map[string]topic.MessageAttribute{"size": {DataType: "Number", StringValue: "500"}}}); err != nil {
		t.Fatalf("publish with a deleted subscribed queue: %v", err)
	}
	if b := e.bodies(t, "acme", "raw", time.Second); len(b) != 1 || b[0] != "after delete" {
		t.Errorf("raw queue after the delete got %q", b)
	}
	inv := e.bodies(t, "acme", "invocations:worker", time.Second)
	if len(inv) != 1 {
		t.Fatalf("lambda subscriber invoked %d times, want 1 (filter kind=order)", len(inv))
	}
	var ev event.SNSEvent
	if err := json.Unmarshal([]byte(inv[0]), &ev); err != nil {
		t.Fatal(err)
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" || r.EventSubscriptionArn != fnSub.ARN || r.Sns.Message != "small one" || r.Sns.MessageID != small.MessageID {
		t.Errorf("lambda event %+v", r)
	}
}

// TestFIFODedup: a FIFO topic delivers to a FIFO queue with the group, and
// a retried publish with the same de-duplication id is stored once.
func TestFIFODedup(t *testing.T) {
	e := open(t)
	ctx := context.Background()
	tp, err := e.svc.CreateTopic(ctx, "acme", "ledger.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Subscribe(ctx, "acme", tp.ARN, "sqs", e.queue(t, "acme", "std", false), nil); !isInvalid(err) {
		t.Errorf("FIFO topic to a standard queue: %v", err)
	}
	mustSubscribe(t, e, "acme", tp.ARN, "sqs", e.queue(t, "acme", "ledger.fifo", true), nil)
	var ids []string
	for range 2 {
		p, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Message: "credit 5", GroupID: "acct-1"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.MessageID)
	}
	if ids[0] != ids[1] {
		t.Errorf("same content, different message ids %v", ids)
	}
	if _, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Message: "credit 5"}); !isInvalid(err) {
		t.Errorf("FIFO publish without a group: %v", err)
	}
	if b := e.bodies(t, "acme", "ledger.fifo", time.Second); len(b) != 1 {
		t.Errorf("FIFO queue got %d messages, want 1", len(b))
	}
}

// TestIsolation: another tenant's topics and queues do not exist for a
// tenant.
func TestIsolation(t *testing.T) {
	e := open(t)
	ctx := context.Background()
	tp, err := e.svc.CreateTopic(ctx, "acme", "private", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GetTopic(ctx, "evil", tp.ARN); !fn.IsNotFound(err) {
		t.Errorf("other tenant GetTopic: %v", err)
	}
	if _, err := e.svc.Publish(ctx, "evil", topic.Message{TopicARN: tp.ARN, Message: "x"}); !fn.IsNotFound(err) {
		t.Errorf("other tenant Publish: %v", err)
	}
	if _, err := e.svc.Subscribe(ctx, "evil", tp.ARN, "sqs", e.queue(t, "evil", "mine", false), nil); !fn.IsNotFound(err) {
		t.Errorf("other tenant Subscribe: %v", err)
	}
	own, err := e.svc.CreateTopic(ctx, "evil", "private", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if own.ARN == tp.ARN {
		t.Fatal("two tenants share a topic ARN")
	}
	if _, err := e.svc.Subscribe(ctx, "evil", own.ARN, "sqs", e.queue(t, "acme", "victim", false), nil); fn.AsError(err).Type != fn.TypeAccessDenied {
		t.Errorf("subscribe another account's queue: %v", err)
	}
	if l, err := e.svc.ListTopics(ctx, "evil"); err != nil || len(l) != 1 || l[0].ARN != own.ARN {
		t.Errorf("other tenant lists %v, %v", l, err)
	}
}

// recorder is an HTTP subscriber: it answers status and records requests.
type recorder struct {
	srv    *httptest.Server
	status int
	mu     sync.Mutex
	got    []*http.Request
	bodies []string
	seen   chan struct{}
}

func newRecorder(t *testing.T, status int) *recorder {
	r := &recorder{status: status, seen: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req)
		r.bodies = append(r.bodies, string(b))
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		r.seen <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-r.seen:
		case <-timeout:
			t.Fatalf("%s: fewer than %d requests", r.srv.URL, n)
		}
	}
}

func (r *recorder) last() (*http.Request, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1], r.bodies[len(r.bodies)-1]
}

// TestHTTP: the confirmation handshake, SNS's headers, and a failing
// subscriber that is retried by its delivery policy and ends in its
// dead-letter queue while a healthy one is served at once.
func TestHTTP(t *testing.T) {
	e := open(t)
	ctx := context.Background()
	tp, err := e.svc.CreateTopic(ctx, "acme", "hooks", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, bad := newRecorder(t, 200), newRecorder(t, 200)
	if _, err := e.svc.Subscribe(ctx, "acme", tp.ARN, "http", "http://example.com/hook", nil); !isInvalid(err) {
		t.Errorf("subscribe a non-loopback host: %v", err)
	}
	goodSub := mustSubscribe(t, e, "acme", tp.ARN, "http", good.srv.URL+"/in", nil)
	if !goodSub.Pending {
		t.Error("an http subscription must wait for confirmation")
	}
	good.wait(t, 1)
	req, body := good.last()
	var conf event.SNSNotification
	if err := json.Unmarshal([]byte(body), &conf); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || conf.Token != goodSub.Token || conf.SubscribeURL == "" {
		t.Fatalf("confirmation %v %+v", req.Header, conf)
	}
	if _, err := e.svc.ConfirmSubscription(ctx, "acme", tp.ARN, "wrong"); !isInvalid(err) {
		t.Errorf("confirm with a wrong token: %v", err)
	}
	if _, err := e.svc.ConfirmSubscription(ctx, "acme", tp.ARN, conf.Token); err != nil {
		t.Fatal(err)
	}

	dlq := e.queue(t, "acme", "hooks-dlq", false)
	badSub := mustSubscribe(t, e, "acme", tp.ARN, "http", bad.srv.URL, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":1,"maxDelayTarget":1}}`,
		"RedrivePolicy":  `{"deadLetterTargetArn":"` + dlq + `"}`,
	})
	bad.wait(t, 1)
	_, body = bad.last()
	if err := json.Unmarshal([]byte(body), &conf); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConfirmByToken(ctx, topic.ARN("acme", "other"), conf.Token); !isInvalid(err) {
		t.Errorf("a token confirmed a subscription of another topic: %v", err)
	}
	confirmed, err := e.svc.ConfirmByToken(ctx, tp.ARN, conf.Token)
	if err != nil {
		t.Fatal(err)
	}
	if confirmed.ARN != badSub.ARN || confirmed.Pending || confirmed.Authenticated {
		t.Errorf("confirmed by token: %+v", confirmed)
	}
	bad.mu.Lock()
	bad.status = 500
	bad.mu.Unlock()

	p, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Message: "hello hooks"})
	if err != nil {
		t.Fatal(err)
	}
	good.wait(t, 1)
	req, body = good.last()
	h := req.Header
	if h.Get("x-amz-sns-message-type") != "Notification" || h.Get("x-amz-sns-message-id") != p.MessageID ||
		h.Get("x-amz-sns-topic-arn") != tp.ARN || h.Get("x-amz-sns-subscription-arn") != goodSub.ARN {
		t.Errorf("notification headers %v", h)
	}
	var n event.SNSNotification
	if err := json.Unmarshal([]byte(body), &n); err != nil || n.Message != "hello hooks" {
		t.Errorf("notification %q: %v", body, err)
	}
	// The failing subscriber: the first attempt and one retry, then its
	// dead-letter queue holds the envelope.
	bad.wait(t, 2)
	got := e.bodies(t, "acme", "hooks-dlq", 10*time.Second)
	if len(got) != 1 || !json.Valid([]byte(got[0])) {
		t.Fatalf("dead-letter queue holds %q", got)
	}
	if err := e.svc.Unsubscribe(ctx, "acme", badSub.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.Get(ctx, queue.ID{Tenant: "acme", Name: "sns-http:" + badSub.ID}); err != queue.ErrNotFound {
		t.Errorf("delivery queue after unsubscribe: %v", err)
	}
}

// TestMessageStructure: with MessageStructure json each protocol gets its
// own text, or the default.
func TestMessageStructure(t *testing.T) {
	e := open(t)
	ctx := context.Background()
	tp, err := e.svc.CreateTopic(ctx, "acme", "multi", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustSubscribe(t, e, "acme", tp.ARN, "sqs", e.queue(t, "acme", "q", false), map[string]string{"RawMessageDelivery": "true"})
	mustSubscribe(t, e, "acme", tp.ARN, "lambda", fn.ARN("acme", "f", ""), nil)
	if _, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Structure: "json", Message: `{"default":"plain","sqs":"for queues"}`}); err != nil {
		t.Fatal(err)
	}
	if b := e.bodies(t, "acme", "q", time.Second); len(b) != 1 || b[0] != "for queues" {
		t.Errorf("sqs subscriber got %q", b)
	}
	inv := e.bodies(t, "acme", "invocations:f", time.Second)
	if len(inv) != 1 || !strings.Contains(inv[0], `"Message":"plain"`) {
		t.Errorf("lambda subscriber got %q", inv)
	}
	if _, err := e.svc.Publish(ctx, "acme", topic.Message{TopicARN: tp.ARN, Structure: "json", Message: `{"sqs":"no default"}`}); !isInvalid(err) {
		t.Errorf("json structure without default: %v", err)
	}
}
