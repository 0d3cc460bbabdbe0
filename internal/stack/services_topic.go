package stack

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// topicCreateOnly is the attribute only CreateTopic sets.
const topicCreateOnly = "FifoTopic"

// topicDefaults are the values a topic attribute the template no longer
// sets goes back to.
var topicDefaults = map[string]string{
	"DisplayName":               "",
	"Policy":                    "",
	"DeliveryPolicy":            "",
	"ContentBasedDeduplication": "false",
	"KmsMasterKeyId":            "",
	"SignatureVersion":          "",
	"TracingConfig":             "",
	"ArchivePolicy":             "",
	"FifoThroughputScope":       "",
}

func (s *Services) applyTopic(ctx context.Context, r *Resource, prev *Resource) error {
	want := r.Topic.Attributes
	create := &sns.CreateTopicInput{Name: aws.String(r.Name)}
	if v, ok := want[topicCreateOnly]; ok {
		create.Attributes = map[string]string{topicCreateOnly: v}
	}
	out, err := s.sns.CreateTopic(ctx, create) // the topic's ARN, made or not
	if err != nil {
		return svcFailed(r, "CreateTopic", err)
	}
	attrs, err := s.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: out.TopicArn})
	if err != nil {
		return svcFailed(r, "GetTopicAttributes", err)
	}
	have := attrs.Attributes
	change := map[string]string{}
	for k, v := range want {
		if k != topicCreateOnly && !svcSameValue(have[k], v) {
			change[k] = v
		}
	}
	if prev != nil {
		for k := range prev.Topic.Attributes {
			def, known := topicDefaults[k]
			if _, kept := want[k]; !kept && known && have[k] != def && !(def == "false" && have[k] == "") {
				change[k] = def
			}
		}
	}
	for _, k := range svcSortedKeys(change) {
		if _, err := s.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: out.TopicArn,
			AttributeName: aws.String(k), AttributeValue: aws.String(change[k])}); err != nil {
			return svcFailed(r, "SetTopicAttributes "+k, err)
		}
	}
	return nil
}

// topicARN finds the ARN of the topic named name ("" when there is none).
func (s *Services) topicARN(ctx context.Context, name string) (string, error) {
	p := sns.NewListTopicsPaginator(s.sns, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range page.Topics {
			if arn := aws.ToString(t.TopicArn); strings.HasSuffix(arn, ":"+name) {
				return arn, nil
			}
		}
	}
	return "", nil
}

func (s *Services) deleteTopic(ctx context.Context, r *Resource) error {
	arn, err := s.topicARN(ctx, r.Name)
	if err != nil {
		return svcFailed(r, "ListTopics", err)
	}
	if arn == "" {
		return nil
	}
	if _, err := s.sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil && !svcIsCode(err, "NotFound") {
		return svcFailed(r, "DeleteTopic", err)
	}
	return nil
}

// subscriptionResets are the subscription attributes SetSubscriptionAttributes
// can put back when the template no longer sets them, with their default;
// dropping another one (RedrivePolicy, DeliveryPolicy) makes the
// subscription anew.
var subscriptionResets = map[string]string{
	"FilterPolicy":       "",
	"FilterPolicyScope":  "MessageAttributes",
	"RawMessageDelivery": "false",
}

// subscriptionOptional are the settable subscription attributes.
var subscriptionOptional = []string{"FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy"}

func (s *Services) applySubscription(ctx context.Context, r *Resource, prevApplied Applied) (Applied, error) {
	spec := r.Subscription
	if prevApplied.ID != "" {
		got, err := s.sns.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(prevApplied.ID)})
		switch {
		case svcIsCode(err, "NotFound"):
			// gone: made anew below
		case err != nil:
			return Applied{}, svcFailed(r, "GetSubscriptionAttributes", err)
		default:
			have := got.Attributes
			if have["TopicArn"] == spec.TopicARN && have["Protocol"] == spec.Protocol && have["Endpoint"] == spec.Endpoint {
				change, ok := subscriptionChanges(have, spec.Attributes)
				if ok {
					return prevApplied, s.setSubscription(ctx, r, prevApplied.ID, change)
				}
			}
			if err := s.unsubscribe(ctx, r, prevApplied.ID); err != nil {
				return Applied{}, err
			}
		}
	}
	out, err := s.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(spec.TopicARN), Protocol: aws.String(spec.Protocol),
		Endpoint: aws.String(spec.Endpoint), Attributes: spec.Attributes, ReturnSubscriptionArn: true})
	if err != nil {
		return Applied{}, svcFailed(r, "Subscribe", err)
	}
	return Applied{ID: aws.ToString(out.SubscriptionArn)}, nil
}

// subscriptionChanges are the attribute changes that make have want;
// ok false when SetSubscriptionAttributes cannot make them.
func subscriptionChanges(have, want map[string]string) (change map[string]string, ok bool) {
	change = map[string]string{}
	for k, v := range want {
		if !svcSameValue(have[k], v) {
			change[k] = v
		}
	}
	for _, k := range subscriptionOptional {
		if _, kept := want[k]; kept || have[k] == "" {
			continue
		}
		def, resettable := subscriptionResets[k]
		if !resettable {
			return nil, false
		}
		if have[k] != def {
			change[k] = def
		}
	}
	return change, true
}

// setSubscription sets the changed attributes, the filter policy's scope
// before the policy read in it.
func (s *Services) setSubscription(ctx context.Context, r *Resource, arn string, change map[string]string) error {
	keys := svcSortedKeys(change)
	sort.SliceStable(keys, func(i, j int) bool { return keys[i] == "FilterPolicyScope" && keys[j] != "FilterPolicyScope" })
	for _, k := range keys {
		if _, err := s.sns.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn),
			AttributeName: aws.String(k), AttributeValue: aws.String(change[k])}); err != nil {
			return svcFailed(r, "SetSubscriptionAttributes "+k, err)
		}
	}
	return nil
}

func (s *Services) unsubscribe(ctx context.Context, r *Resource, arn string) error {
	if _, err := s.sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)}); err != nil && !svcIsCode(err, "NotFound") {
		return svcFailed(r, "Unsubscribe", err)
	}
	return nil
}

func (s *Services) deleteSubscription(ctx context.Context, r *Resource, a Applied) error {
	if a.ID == "" {
		return nil // never made
	}
	return s.unsubscribe(ctx, r, a.ID)
}

func svcSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
