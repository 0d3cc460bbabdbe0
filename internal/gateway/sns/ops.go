package sns

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/topic"
)

// pageSize is how many topics or subscriptions one List call returns.
const pageSize = 100

type topicARNResult struct {
	XMLName  xml.Name `xml:"CreateTopicResult"`
	TopicArn string   `xml:"TopicArn"`
}

func (a *API) createTopic(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "Name"); err != nil {
		return nil, err
	}
	tg, err := tags(f, "Tags")
	if err != nil {
		return nil, err
	}
	t, err := a.svc.CreateTopic(r.Context(), tenant, f.Get("Name"), attributeMap(f, "Attributes"), tg)
	if err != nil {
		return nil, err
	}
	return topicARNResult{TopicArn: t.ARN}, nil
}

func (a *API) deleteTopic(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn"); err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteTopic(r.Context(), tenant, f.Get("TopicArn"))
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsResult struct {
	XMLName   xml.Name      `xml:"ListTopicsResult"`
	Topics    []topicMember `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

// page returns the window of n items that token starts, and the next token.
func page(token string, n int) (from, to int, next string, err error) {
	if token != "" {
		from, err = strconv.Atoi(token)
		if err != nil || from < 0 || from > n {
			return 0, 0, "", fn.InvalidParameter("Invalid parameter: NextToken: %q is not a token this server returned", token)
		}
	}
	to = min(from+pageSize, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

func (a *API) listTopics(r *http.Request, tenant string, f url.Values) (any, error) {
	ts, err := a.svc.ListTopics(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(f.Get("NextToken"), len(ts))
	if err != nil {
		return nil, err
	}
	res := listTopicsResult{NextToken: next, Topics: []topicMember{}}
	for _, t := range ts[from:to] {
		res.Topics = append(res.Topics, topicMember{t.ARN})
	}
	return res, nil
}

type attributesResult struct {
	XMLName    xml.Name
	Attributes []entry `xml:"Attributes>entry"`
}

func (a *API) getTopicAttributes(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn"); err != nil {
		return nil, err
	}
	t, err := a.svc.GetTopic(r.Context(), tenant, f.Get("TopicArn"))
	if err != nil {
		return nil, err
	}
	subs, err := a.svc.ListSubscriptions(r.Context(), tenant, t.ARN)
	if err != nil {
		return nil, err
	}
	pending := 0
	for _, s := range subs {
		if s.Pending {
			pending++
		}
	}
	m := map[string]string{
		"TopicArn": t.ARN, "Owner": fn.AccountID(tenant), "DisplayName": "",
		"SubscriptionsConfirmed": strconv.Itoa(len(subs) - pending), "SubscriptionsPending": strconv.Itoa(pending),
		"SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,` +
			`"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false}}`,
	}
	for k, v := range t.Attributes {
		m[k] = v
	}
	return attributesResult{XMLName: xml.Name{Local: "GetTopicAttributesResult"}, Attributes: entries(m)}, nil
}

func (a *API) setTopicAttributes(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn", "AttributeName"); err != nil {
		return nil, err
	}
	return nil, a.svc.SetTopicAttribute(r.Context(), tenant, f.Get("TopicArn"), f.Get("AttributeName"), f.Get("AttributeValue"))
}

type subscriptionARNResult struct {
	XMLName         xml.Name
	SubscriptionArn string `xml:"SubscriptionArn"`
}

func (a *API) subscribe(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn", "Protocol"); err != nil {
		return nil, err
	}
	sub, err := a.svc.Subscribe(r.Context(), tenant, f.Get("TopicArn"), f.Get("Protocol"), f.Get("Endpoint"), attributeMap(f, "Attributes"))
	if err != nil {
		return nil, err
	}
	arn := sub.ARN
	if sub.Pending && f.Get("ReturnSubscriptionArn") != "true" {
		arn = "pending confirmation"
	}
	return subscriptionARNResult{XMLName: xml.Name{Local: "SubscribeResult"}, SubscriptionArn: arn}, nil
}

func (a *API) confirmSubscription(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn", "Token"); err != nil {
		return nil, err
	}
	sub, err := a.svc.ConfirmSubscription(r.Context(), tenant, f.Get("TopicArn"), f.Get("Token"))
	if err != nil {
		return nil, err
	}
	return subscriptionARNResult{XMLName: xml.Name{Local: "ConfirmSubscriptionResult"}, SubscriptionArn: sub.ARN}, nil
}

func (a *API) unsubscribe(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "SubscriptionArn"); err != nil {
		return nil, err
	}
	return nil, a.svc.Unsubscribe(r.Context(), tenant, f.Get("SubscriptionArn"))
}

type subscriptionMember struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type listSubscriptionsResult struct {
	XMLName       xml.Name
	Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	NextToken     string               `xml:"NextToken,omitempty"`
}

func (a *API) listSubscriptions(r *http.Request, tenant string, f url.Values) (any, error) {
	return a.listSubs(r, tenant, f, "", "ListSubscriptionsResult")
}

func (a *API) listSubscriptionsByTopic(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn"); err != nil {
		return nil, err
	}
	if _, err := a.svc.GetTopic(r.Context(), tenant, f.Get("TopicArn")); err != nil {
		return nil, err
	}
	return a.listSubs(r, tenant, f, f.Get("TopicArn"), "ListSubscriptionsByTopicResult")
}

func (a *API) listSubs(r *http.Request, tenant string, f url.Values, topicARN, result string) (any, error) {
	subs, err := a.svc.ListSubscriptions(r.Context(), tenant, topicARN)
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(f.Get("NextToken"), len(subs))
	if err != nil {
		return nil, err
	}
	res := listSubscriptionsResult{XMLName: xml.Name{Local: result}, NextToken: next, Subscriptions: []subscriptionMember{}}
	for _, s := range subs[from:to] {
		arn := s.ARN
		if s.Pending {
			arn = "PendingConfirmation"
		}
		res.Subscriptions = append(res.Subscriptions, subscriptionMember{
			SubscriptionArn: arn, Owner: fn.AccountID(tenant), Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: s.TopicARN,
		})
	}
	return res, nil
}

func (a *API) getSubscriptionAttributes(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "SubscriptionArn"); err != nil {
		return nil, err
	}
	sub, err := a.svc.GetSubscription(r.Context(), tenant, f.Get("SubscriptionArn"))
	if err != nil {
		return nil, err
	}
	return attributesResult{XMLName: xml.Name{Local: "GetSubscriptionAttributesResult"}, Attributes: entries(sub.AttributeMap())}, nil
}

func (a *API) setSubscriptionAttributes(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "SubscriptionArn", "AttributeName"); err != nil {
		return nil, err
	}
	return nil, a.svc.SetSubscriptionAttribute(r.Context(), tenant, f.Get("SubscriptionArn"), f.Get("AttributeName"), f.Get("AttributeValue"))
}

// messageAttributes reads PREFIX.entry.N.Name / .Value.DataType /
// .Value.StringValue / .Value.BinaryValue (base64).
func messageAttributes(f url.Values, prefix string) (map[string]topic.MessageAttribute, error) {
	ps := indexed(f, prefix+".entry")
	if len(ps) == 0 {
		return nil, nil
	}
	out := make(map[string]topic.MessageAttribute, len(ps))
	for _, p := range ps {
		a := topic.MessageAttribute{DataType: f.Get(p + "Value.DataType"), StringValue: f.Get(p + "Value.StringValue")}
		if b := f.Get(p + "Value.BinaryValue"); b != "" {
			v, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, fn.InvalidParameter("Invalid parameter: MessageAttributes: %s: BinaryValue is not base64", f.Get(p+"Name"))
			}
			a.BinaryValue = v
		}
		out[f.Get(p+"Name")] = a
	}
	return out, nil
}

type publishResult struct {
	XMLName        xml.Name `xml:"PublishResult"`
	MessageID      string   `xml:"MessageId"`
	SequenceNumber string   `xml:"SequenceNumber,omitempty"`
}

func (a *API) publish(r *http.Request, tenant string, f url.Values) (any, error) {
	arn := f.Get("TopicArn")
	if arn == "" {
		arn = f.Get("TargetArn")
	}
	if arn == "" {
		return nil, fn.InvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	if f.Get("PhoneNumber") != "" {
		return nil, fn.InvalidParameter("Invalid parameter: PhoneNumber: this server does not send SMS; publish to a topic")
	}
	attrs, err := messageAttributes(f, "MessageAttributes")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.Publish(r.Context(), tenant, topic.Message{
		TopicARN: arn, Message: f.Get("Message"), Subject: f.Get("Subject"), Structure: f.Get("MessageStructure"),
		Attributes: attrs, GroupID: f.Get("MessageGroupId"), DedupID: f.Get("MessageDeduplicationId"),
	})
	if err != nil {
		return nil, err
	}
	return publishResult{MessageID: p.MessageID, SequenceNumber: p.SequenceNumber}, nil
}

type batchSuccess struct {
	ID             string `xml:"Id"`
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type batchFailure struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type publishBatchResult struct {
	XMLName    xml.Name       `xml:"PublishBatchResult"`
	Successful []batchSuccess `xml:"Successful>member"`
	Failed     []batchFailure `xml:"Failed>member"`
}

// maxBatch is PublishBatch's limit on entries.
const maxBatch = 10

func (a *API) publishBatch(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "TopicArn"); err != nil {
		return nil, err
	}
	ps := indexed(f, "PublishBatchRequestEntries.member")
	switch {
	case len(ps) == 0:
		return nil, fn.InvalidParameter("EmptyBatchRequest: The batch request doesn't contain any entries")
	case len(ps) > maxBatch:
		return nil, fn.InvalidParameter("TooManyEntriesInBatchRequest: The batch request contains more entries than permissible: at most %d", maxBatch)
	}
	if _, err := a.svc.GetTopic(r.Context(), tenant, f.Get("TopicArn")); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	res := publishBatchResult{Successful: []batchSuccess{}, Failed: []batchFailure{}}
	for _, p := range ps {
		id := f.Get(p + "Id")
		if id == "" || ids[id] {
			return nil, fn.InvalidParameter("BatchEntryIdsNotDistinct: every entry needs an Id, distinct within the batch (%q)", id)
		}
		ids[id] = true
		attrs, err := messageAttributes(f, p+"MessageAttributes")
		if err == nil {
			var out topic.Published
			out, err = a.svc.Publish(r.Context(), tenant, topic.Message{
				TopicARN: f.Get("TopicArn"), Message: f.Get(p + "Message"), Subject: f.Get(p + "Subject"),
				Structure: f.Get(p + "MessageStructure"), Attributes: attrs,
				GroupID: f.Get(p + "MessageGroupId"), DedupID: f.Get(p + "MessageDeduplicationId"),
			})
			if err == nil {
				res.Successful = append(res.Successful, batchSuccess{ID: id, MessageID: out.MessageID, SequenceNumber: out.SequenceNumber})
				continue
			}
		}
		e := fn.AsError(err)
		res.Failed = append(res.Failed, batchFailure{ID: id, Code: code(e), Message: e.Message, SenderFault: e.Status < 500})
	}
	return res, nil
}

func (a *API) tagResource(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "ResourceArn"); err != nil {
		return nil, err
	}
	tg, err := tags(f, "Tags")
	if err != nil {
		return nil, err
	}
	_, err = a.svc.UpdateTopic(r.Context(), tenant, f.Get("ResourceArn"), func(t *topic.Topic) error {
		if t.Tags == nil {
			t.Tags = map[string]string{}
		}
		for k, v := range tg {
			t.Tags[k] = v
		}
		if len(t.Tags) > 50 {
			return fn.InvalidParameter("Invalid parameter: Tags: at most 50 tags per resource")
		}
		return nil
	})
	return nil, err
}

func (a *API) untagResource(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "ResourceArn"); err != nil {
		return nil, err
	}
	_, err := a.svc.UpdateTopic(r.Context(), tenant, f.Get("ResourceArn"), func(t *topic.Topic) error {
		for _, p := range indexed(f, "TagKeys.member") {
			delete(t.Tags, f.Get(p[:len(p)-1]))
		}
		return nil
	})
	return nil, err
}

type tagMember struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type listTagsResult struct {
	XMLName xml.Name    `xml:"ListTagsForResourceResult"`
	Tags    []tagMember `xml:"Tags>member"`
}

func (a *API) listTagsForResource(r *http.Request, tenant string, f url.Values) (any, error) {
	if err := required(f, "ResourceArn"); err != nil {
		return nil, err
	}
	t, err := a.svc.GetTopic(r.Context(), tenant, f.Get("ResourceArn"))
	if err != nil {
		return nil, err
	}
	res := listTagsResult{Tags: []tagMember{}}
	for _, e := range entries(t.Tags) {
		res.Tags = append(res.Tags, tagMember(e))
	}
	return res, nil
}
