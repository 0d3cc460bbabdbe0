// Package sns serves Amazon SNS's query protocol (form-encoded Action=...,
// XML replies in the 2010-03-31 namespace, XML errors with SNS's codes
// NotFound, InvalidParameter, AuthorizationError, InvalidAction) on the one
// AWS endpoint, as a thin adapter over internal/topic: topics, attributes
// and tags, subscriptions (sqs, lambda, http/https with confirmation),
// Publish and PublishBatch with message attributes. Current AWS SDKs speak
// only the query protocol to SNS (aws-sdk-go-v2's sns client uses
// awsQuery), so there is no JSON form to serve. ServeUnsigned answers the
// SubscribeURL an HTTP/S subscriber GETs without a signature.
package sns
