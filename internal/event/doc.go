// Package event owns the JSON shapes AWS services hand to functions and
// subscribers, with AWS's field names and casing, so that code written for
// Lambda reads Updraft's events unchanged:
//
//   - SQSEvent, the Lambda event of a queue event source mapping, and the
//     partial batch response (batchItemFailures) a function may return;
//   - SNSEvent, the Lambda event of a topic subscription ("Sns",
//     "SigningCertUrl", "UnsubscribeUrl"), and SNSNotification, the envelope
//     SNS delivers to SQS queues and HTTP/S endpoints ("SigningCertURL",
//     "UnsubscribeURL"), including the SubscriptionConfirmation message;
//   - SESEvent, the Lambda event of SES's receipt rule Lambda action for an
//     inbound message (internal/mail's SMTP intake), with the stored raw
//     message's location in the action's bucketName and objectKey;
//   - DestinationRecord, the record an asynchronous invocation sends to its
//     OnSuccess/OnFailure destination;
//   - HTTPRequest, API Gateway's HTTP API event (payload format 2.0) that
//     routes and function URLs hand to functions (and Lambda authorizers,
//     with type REQUEST), and ParseHTTPResponse, which reads a function's
//     reply to it as API Gateway does (a bare JSON value is a 200
//     application/json body);
//   - ProxyRequest, API Gateway's Lambda proxy event (payload format 1.0)
//     that REST APIs send, for routes that ask for it, and
//     ParseProxyResponse, which reads the reply as REST APIs do (a full
//     response or a 502);
//   - MD5OfBody and MD5OfMessageAttributes, computed as SQS computes them
//     (SDKs verify both).
//
// Constructors (NewSQSRecord, NewSNSRecord, NewSNSNotification,
// NewSubscriptionConfirmation, NewDestinationRecord, NewHTTPRequest,
// NewProxyRequest) take plain inputs so producers stay thin. Every shape is golden-tested against testdata/*.json;
// run `go test ./internal/event -update` to rewrite the golden files after a
// deliberate change, and review the diff.
package event
