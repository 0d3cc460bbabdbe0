package sqs

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/queue"
)

// Queue attributes. The settable ones are stored in queue.Config.Attributes
// as the client gave them (normalized); defaults fill the rest.

type intRange struct{ lo, hi int }

// intAttributes are the integer attributes and their ranges.
var intAttributes = map[string]intRange{
	"VisibilityTimeout":             {0, int(queue.MaxVisibility / time.Second)},
	"DelaySeconds":                  {0, int(queue.MaxDelay / time.Second)},
	"MessageRetentionPeriod":        {60, int(queue.MaxRetention / time.Second)},
	"ReceiveMessageWaitTimeSeconds": {0, int(queue.MaxWait / time.Second)},
	"MaximumMessageSize":            {1024, maxMessageSize},
	"KmsDataKeyReusePeriodSeconds":  {60, 86400},
}

// maxMessageSize is SQS's largest message: body and attributes.
const maxMessageSize = 256 << 10

// defaultAttributes are a new queue's settable attributes.
var defaultAttributes = map[string]string{
	"VisibilityTimeout":             "30",
	"DelaySeconds":                  "0",
	"MessageRetentionPeriod":        "345600",
	"ReceiveMessageWaitTimeSeconds": "0",
	"MaximumMessageSize":            "262144",
	"SqsManagedSseEnabled":          "false",
}

var fifoDefaults = map[string]string{
	"FifoQueue":                 "true",
	"ContentBasedDeduplication": "false",
	"DeduplicationScope":        "queue",
	"FifoThroughputLimit":       "perQueue",
}

// storedAsGiven are settable attributes Updraft keeps without acting on
// them (policies and encryption settings have no meaning here).
var storedAsGiven = []string{"Policy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled"}

// fifoOnly are the attributes only a FIFO queue has.
var fifoOnly = []string{"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}

// readOnly are attributes GetQueueAttributes computes.
var readOnly = []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}

// checkAttribute validates one settable attribute and returns its stored
// form. creating: FifoQueue may be given.
func (c *call) checkAttribute(name, value string, fifo, creating bool) (string, error) {
	if r, ok := intAttributes[name]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < r.lo || n > r.hi {
			return "", invalidAttributeValue(name, value, "it must be an integer from "+strconv.Itoa(r.lo)+" to "+strconv.Itoa(r.hi)+".")
		}
		return strconv.Itoa(n), nil
	}
	switch {
	case name == "FifoQueue":
		if !creating {
			return "", sqsErr(codeInvalidAttribute, "FifoQueue can only be set when the queue is created (a FIFO queue's name ends in .fifo).")
		}
		if value != "true" && value != "false" {
			return "", invalidAttributeValue(name, value, "it must be true or false.")
		}
		return value, nil
	case name == "RedrivePolicy":
		return c.checkRedrive(value, fifo)
	case contains(fifoOnly, name):
		if !fifo {
			return "", sqsErr(codeInvalidAttribute, "Unknown Attribute %s: it applies to FIFO queues only (names ending in .fifo).", name)
		}
		return checkFIFOAttribute(name, value)
	case contains(storedAsGiven, name):
		return value, nil
	case contains(readOnly, name):
		return "", sqsErr(codeInvalidAttribute, "The attribute %s is read-only: GetQueueAttributes returns it, no request sets it.", name)
	}
	return "", invalidAttributeName(name)
}

func checkFIFOAttribute(name, value string) (string, error) {
	allowed := map[string][]string{
		"ContentBasedDeduplication": {"true", "false"},
		"DeduplicationScope":        {"queue", "messageGroup"},
		"FifoThroughputLimit":       {"perQueue", "perMessageGroupId"},
	}[name]
	if !contains(allowed, value) {
		return "", invalidAttributeValue(name, value, "it must be one of "+strings.Join(allowed, ", ")+".")
	}
	return value, nil
}

// redrivePolicy is RedrivePolicy's JSON; maxReceiveCount comes as a
// number or a string.
type redrivePolicy struct {
	Target   string          `json:"deadLetterTargetArn"`
	MaxCount json.RawMessage `json:"maxReceiveCount"`
}

func (c *call) checkRedrive(value string, fifo bool) (string, error) {
	if value == "" {
		return "", nil // removes the policy
	}
	var p redrivePolicy
	if err := json.Unmarshal([]byte(value), &p); err != nil {
		return "", invalidAttributeValue("RedrivePolicy", value, `it must be JSON: {"deadLetterTargetArn":"arn:aws:sqs:REGION:ACCOUNT:NAME","maxReceiveCount":N}.`)
	}
	n, err := strconv.Atoi(strings.Trim(string(p.MaxCount), `"`))
	if err != nil || n < 1 || n > 1000 {
		return "", invalidAttributeValue("RedrivePolicy", value, "maxReceiveCount must be an integer from 1 to 1000.")
	}
	dlq, ok := c.queueOfARN(p.Target)
	if !ok {
		return "", invalidAttributeValue("RedrivePolicy", value, "deadLetterTargetArn must be the ARN of one of your queues (GetQueueAttributes QueueArn).")
	}
	if strings.HasSuffix(dlq.Name, ".fifo") != fifo {
		return "", invalidAttributeValue("RedrivePolicy", value, "the dead-letter queue of a FIFO queue must be a FIFO queue, and of a standard queue a standard queue.")
	}
	out, _ := json.Marshal(map[string]any{"deadLetterTargetArn": p.Target, "maxReceiveCount": n})
	return string(out), nil
}

// checkAttributes validates a request's attributes and returns their
// stored forms.
func (c *call) checkAttributes(attrs map[string]string, fifo, creating bool) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	for name, v := range attrs {
		s, err := c.checkAttribute(name, v, fifo, creating)
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

// effective is the queue's settable attributes: defaults, then stored.
func effective(cfg queue.Config) map[string]string {
	out := make(map[string]string, len(defaultAttributes)+len(cfg.Attributes)+4)
	for k, v := range defaultAttributes {
		out[k] = v
	}
	if cfg.FIFO {
		for k, v := range fifoDefaults {
			out[k] = v
		}
	}
	for k, v := range cfg.Attributes {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// apply sets cfg's fields from its attributes: the ones the queue package
// acts on.
func (c *call) apply(cfg *queue.Config) error {
	attrs := effective(*cfg)
	secs := func(name string) time.Duration {
		n, _ := strconv.Atoi(attrs[name])
		return time.Duration(n) * time.Second
	}
	// A visibility timeout of 0 is the consumer's 1 s, with every
	// receive of the queue asking for 0 (receiveVisibility).
	cfg.Visibility = max(secs("VisibilityTimeout"), time.Second)
	cfg.Delay = secs("DelaySeconds")
	cfg.Retention = secs("MessageRetentionPeriod")
	cfg.FIFO = attrs["FifoQueue"] == "true"
	cfg.DeadLetter, cfg.MaxReceives = "", 0
	if rp := attrs["RedrivePolicy"]; rp != "" {
		var p redrivePolicy
		if err := json.Unmarshal([]byte(rp), &p); err != nil {
			return err
		}
		dlq, ok := c.queueOfARN(p.Target)
		if !ok {
			return errors.New("sqs: stored redrive policy names no queue of the tenant")
		}
		n, _ := strconv.Atoi(string(p.MaxCount))
		cfg.DeadLetter, cfg.MaxReceives = dlq.Name, n
	}
	return nil
}

// checkDeadLetter says whether the dead-letter queue of a policy exists.
func (a *API) checkDeadLetter(c *call, attrs map[string]string) error {
	rp := attrs["RedrivePolicy"]
	if rp == "" {
		return nil
	}
	var p redrivePolicy
	_ = json.Unmarshal([]byte(rp), &p)
	dlq, _ := c.queueOfARN(p.Target)
	if _, err := a.q.Get(c.ctx, dlq); err != nil {
		if isNotFound(err) {
			return invalidAttributeValue("RedrivePolicy", rp, "the dead-letter queue "+p.Target+" does not exist: create it first.")
		}
		return err
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, queue.ErrNotFound) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
