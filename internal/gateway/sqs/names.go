package sqs

import (
	"net/url"
	"strings"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/queue"
)

// checkQueueName validates an SQS queue name: 1 to 80 letters, digits, -
// and _, with ".fifo" at the end of a FIFO queue's (counted in the 80).
func checkQueueName(name string) error {
	base := strings.TrimSuffix(name, ".fifo")
	if name == "" || len(name) > 80 || base == "" {
		return invalidParameter("The queue name %q is not valid: a name has 1 to 80 characters (a FIFO queue's ends in .fifo, counted).", name)
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return invalidParameter("The queue name %q is not valid: it can only include letters, digits, hyphens and underscores (and end in .fifo for a FIFO queue).", name)
		}
	}
	return nil
}

// queueURL is the URL of the tenant's queue name.
func (c *call) queueURL(name string) string { return c.base + name }

// queueARN is the ARN of tenant's queue name.
func queueARN(tenant, name string) string {
	return "arn:aws:sqs:" + fn.Region + ":" + fn.AccountID(tenant) + ":" + name
}

// queueOf resolves a QueueUrl (http://HOST/ACCOUNT/NAME, /ACCOUNT/NAME,
// or a bare name as some clients send) to the tenant's queue. Another
// account's queue does not exist, as far as this tenant can tell.
func (c *call) queueOf(raw string) (queue.ID, error) {
	if raw == "" {
		return queue.ID{}, missingParameter("QueueUrl")
	}
	path := raw
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var account, name string
	switch len(parts) {
	case 1:
		account, name = fn.AccountID(c.tenant), parts[0]
	case 2:
		account, name = parts[0], parts[1]
	default:
		return queue.ID{}, sqsErr(codeInvalidAddress, "The address %q is not a queue URL: use the QueueUrl that CreateQueue or GetQueueUrl returned (%sNAME).", raw, c.base)
	}
	if account != fn.AccountID(c.tenant) || checkQueueName(name) != nil {
		return queue.ID{}, noSuchQueue(raw)
	}
	return queue.ID{Tenant: c.tenant, Name: name}, nil
}

// queueOfARN resolves a queue ARN of the tenant (a dead-letter target).
func (c *call) queueOfARN(arn string) (queue.ID, bool) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[4] != fn.AccountID(c.tenant) || checkQueueName(p[5]) != nil {
		return queue.ID{}, false
	}
	return queue.ID{Tenant: c.tenant, Name: p[5]}, true
}

// found maps "no such queue" to SQS's error naming what the client sent.
func found(err error, what string) error {
	if err != nil && isNotFound(err) {
		return noSuchQueue(what)
	}
	return err
}
