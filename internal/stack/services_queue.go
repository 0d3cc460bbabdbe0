package stack

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queueDefaults are SQS's values of the settable queue attributes: an
// attribute the template no longer sets goes back to its default, as
// CloudFormation does.
var queueDefaults = map[string]string{
	"VisibilityTimeout":             "30",
	"DelaySeconds":                  "0",
	"MessageRetentionPeriod":        "345600",
	"ReceiveMessageWaitTimeSeconds": "0",
	"MaximumMessageSize":            "262144",
	"KmsDataKeyReusePeriodSeconds":  "300",
	"SqsManagedSseEnabled":          "false",
	"ContentBasedDeduplication":     "false",
	"DeduplicationScope":            "queue",
	"FifoThroughputLimit":           "perQueue",
	"RedrivePolicy":                 "",
	"RedriveAllowPolicy":            "",
	"Policy":                        "",
	"KmsMasterKeyId":                "",
}

// queueCreateOnly are attributes only CreateQueue sets (the name says
// them: a FIFO queue's ends in .fifo).
const queueCreateOnly = "FifoQueue"

func (s *Services) applyQueue(ctx context.Context, r *Resource, prev *Resource) error {
	want := r.Queue.Attributes
	got, err := s.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(r.Name)})
	if svcIsCode(err, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue") {
		if _, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(r.Name), Attributes: want}); err != nil {
			return svcFailed(r, "CreateQueue", err)
		}
		return nil
	} else if err != nil {
		return svcFailed(r, "GetQueueUrl", err)
	}
	attrs, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: got.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		return svcFailed(r, "GetQueueAttributes", err)
	}
	have := attrs.Attributes
	change := map[string]string{}
	for k, v := range want {
		if k != queueCreateOnly && !svcSameValue(have[k], v) {
			change[k] = v
		}
	}
	if prev != nil {
		for k := range prev.Queue.Attributes {
			def, known := queueDefaults[k]
			if _, kept := want[k]; !kept && known && have[k] != def {
				change[k] = def
			}
		}
	}
	if len(change) == 0 {
		return nil
	}
	if _, err := s.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: got.QueueUrl, Attributes: change}); err != nil {
		return svcFailed(r, "SetQueueAttributes", err)
	}
	return nil
}

func (s *Services) deleteQueue(ctx context.Context, r *Resource) error {
	got, err := s.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(r.Name)})
	if svcIsCode(err, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue") {
		return nil
	} else if err != nil {
		return svcFailed(r, "GetQueueUrl", err)
	}
	_, err = s.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: got.QueueUrl})
	if err != nil && !svcIsCode(err, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue") {
		return svcFailed(r, "DeleteQueue", err)
	}
	return nil
}
