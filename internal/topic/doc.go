// Package topic owns SNS-compatible topics: topics and subscriptions (in the
// TOPICS key-value bucket, per tenant), durable fan-out and delivery, and
// subscription filter policies. docs/MESSAGING.md has the whole picture.
//
// Publish stores one copy per matching subscriber before it returns: an
// SQS subscriber's in its queue (queue.Send, fsync), a Lambda subscriber's
// as an asynchronous invocation (AsyncInvoker, so retries and destinations
// are the async path's), an HTTP/S subscriber's in its own delivery queue
// ("sns-http:ID"), drained by one loop per subscription (http.go) that
// POSTs with SNS's headers, retries by the delivery policy and then moves
// the message to the subscription's dead-letter queue. Each copy is
// de-duplicated by message id and subscription id.
//
// A filter policy is parsed and validated once, when a subscription's
// FilterPolicy attribute is set (ParseFilterPolicy), and then matched against
// every published message (FilterPolicy.Match). The operators, limits and
// error messages follow Amazon SNS's documentation ("Amazon SNS subscription
// filter policies", "Filter policy constraints"):
//
//   - exact strings, numbers, true, false and null; OR between the values of
//     one key, AND between keys, and the "$or" operator between groups of keys;
//   - prefix, suffix, equals-ignore-case, cidr;
//   - anything-but with one value, a list of values, or {"prefix": ...};
//   - numeric with "=", or a range of ">"/">=" and "<"/"<=";
//   - exists true (the key is present with a non-null, non-empty value) and
//     exists false (the key is absent);
//   - nested keys when the scope is MessageBody, where arrays anywhere on the
//     path match if any element matches.
//
// In the MessageAttributes scope, attributes of type String, Number and
// String.Array (each element matched on its own) take part; Binary attributes
// are ignored, as SNS ignores them, and a message without attributes matches
// no non-empty policy. In the MessageBody scope a body that is not a JSON
// object matches no non-empty policy.
//
// Limits enforced as SNS enforces them: at most 5 top-level keys, at most 150
// combinations (the product of the value counts of the keys, times the depth
// of each nested key; "$or" branches add up), at most 256 KB of JSON.
package topic
