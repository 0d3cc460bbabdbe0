// Package sqs serves Amazon SQS's API on the one AWS endpoint, over the
// durable queues of internal/queue. It is a thin adapter: it decodes a
// request, calls queue.Manager, and encodes the reply in the protocol the
// client spoke.
//
// Both of SQS's protocols are served by one handler:
//
//   - the JSON protocol (X-Amz-Target: AmazonSQS.<Action>, Content-Type
//     application/x-amz-json-1.0), what current AWS SDKs send; errors carry
//     "__type" (com.amazonaws.sqs#Code) and the x-amzn-query-error header
//     ("AWS.SimpleQueueService.NonExistentQueue;Sender"), from which the
//     SDKs take the error code;
//   - the query protocol (form-encoded Action=..., XML replies), what the
//     aws CLI v1 and older SDKs send. A query request is turned into the
//     JSON protocol's input shape (query.go) so each action is written once.
//
// SQS's queue attributes are stored in the queue's definition
// (queue.Config.Attributes) as the client gave them; those with a meaning
// in the queue package (VisibilityTimeout, DelaySeconds,
// MessageRetentionPeriod, RedrivePolicy, FifoQueue) also set its fields.
// Message attributes are stored as the message's opaque attributes (JSON),
// with the MD5 digests SQS computes (md5.go).
//
// Queue URLs are http://HOST/ACCOUNT/NAME with the request's host and the
// tenant's account id; ARNs arn:aws:sqs:REGION:ACCOUNT:NAME. A URL or ARN
// with another account's id names no queue: tenants never see each other.
package sqs
