package event

import (
	"net/url"
	"strings"
	"time"
)

// Timestamps in SNS messages and destination records: UTC, milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// Timestamp formats t as SNS and Lambda write timestamps.
func Timestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

// SNSEvent is the event Lambda passes a function subscribed to a topic.
type SNSEvent struct {
	Records []SNSEventRecord `json:"Records"`
}

// SNSEventRecord is one record of an SNSEvent.
type SNSEventRecord struct {
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	EventSource          string    `json:"EventSource"`
	Sns                  SNSEntity `json:"Sns"`
}

// SNSEntity is the message inside an SNSEventRecord. Note Lambda's casing of
// SigningCertUrl and UnsubscribeUrl, unlike SNSNotification's.
type SNSEntity struct {
	Type              string                         `json:"Type"`
	MessageID         string                         `json:"MessageId"`
	TopicArn          string                         `json:"TopicArn"`
	Subject           *string                        `json:"Subject"` // null when the publisher gave none
	Message           string                         `json:"Message"`
	Timestamp         string                         `json:"Timestamp"`
	SignatureVersion  string                         `json:"SignatureVersion"`
	Signature         string                         `json:"Signature"`
	SigningCertURL    string                         `json:"SigningCertUrl"`
	UnsubscribeURL    string                         `json:"UnsubscribeUrl"`
	MessageAttributes map[string]SNSMessageAttribute `json:"MessageAttributes"`
}

// SNSMessageAttribute is a message attribute as SNS delivers it: Type is the
// data type (String, Number, Binary, String.Array); Value is the string value,
// base64 for Binary.
type SNSMessageAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// SNSNotification is the JSON document SNS delivers to SQS queues and HTTP/S
// endpoints (unless raw delivery is on): a Notification, or with Token and
// SubscribeURL a SubscriptionConfirmation or UnsubscribeConfirmation.
type SNSNotification struct {
	Type              string                         `json:"Type"`
	MessageID         string                         `json:"MessageId"`
	Token             string                         `json:"Token,omitempty"`
	TopicArn          string                         `json:"TopicArn"`
	Subject           string                         `json:"Subject,omitempty"` // absent when the publisher gave none
	Message           string                         `json:"Message"`
	SubscribeURL      string                         `json:"SubscribeURL,omitempty"`
	Timestamp         string                         `json:"Timestamp"`
	SignatureVersion  string                         `json:"SignatureVersion"`
	Signature         string                         `json:"Signature"`
	SigningCertURL    string                         `json:"SigningCertURL"`
	UnsubscribeURL    string                         `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]SNSMessageAttribute `json:"MessageAttributes,omitempty"`
}

// SNS message types.
const (
	SNSTypeNotification             = "Notification"
	SNSTypeSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSTypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// SNSMessageInput is what a topic knows about one published message and the
// subscription it is delivered to.
type SNSMessageInput struct {
	MessageID  string
	TopicARN   string
	Subject    string // "" when none
	Message    string
	Timestamp  time.Time
	Attributes map[string]SNSMessageAttribute
	// SignatureVersion defaults to "1".
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	UnsubscribeURL   string
}

// NewSNSRecord builds the Lambda record of a message delivered to the
// subscription subscriptionARN.
func NewSNSRecord(in SNSMessageInput, subscriptionARN string) SNSEventRecord {
	var subject *string
	if in.Subject != "" {
		s := in.Subject
		subject = &s
	}
	attrs := in.Attributes
	if attrs == nil {
		attrs = map[string]SNSMessageAttribute{}
	}
	return SNSEventRecord{
		EventVersion:         "1.0",
		EventSubscriptionArn: subscriptionARN,
		EventSource:          "aws:sns",
		Sns: SNSEntity{
			Type:              SNSTypeNotification,
			MessageID:         in.MessageID,
			TopicArn:          in.TopicARN,
			Subject:           subject,
			Message:           in.Message,
			Timestamp:         Timestamp(in.Timestamp),
			SignatureVersion:  signatureVersion(in.SignatureVersion),
			Signature:         in.Signature,
			SigningCertURL:    in.SigningCertURL,
			UnsubscribeURL:    in.UnsubscribeURL,
			MessageAttributes: attrs,
		},
	}
}

// NewSNSNotification builds the Notification envelope SNS delivers to SQS
// queues and HTTP/S endpoints.
func NewSNSNotification(in SNSMessageInput) SNSNotification {
	return SNSNotification{
		Type:              SNSTypeNotification,
		MessageID:         in.MessageID,
		TopicArn:          in.TopicARN,
		Subject:           in.Subject,
		Message:           in.Message,
		Timestamp:         Timestamp(in.Timestamp),
		SignatureVersion:  signatureVersion(in.SignatureVersion),
		Signature:         in.Signature,
		SigningCertURL:    in.SigningCertURL,
		UnsubscribeURL:    in.UnsubscribeURL,
		MessageAttributes: in.Attributes,
	}
}

// ConfirmationInput is what a topic sends an HTTP/S endpoint to confirm a
// subscription.
type ConfirmationInput struct {
	MessageID        string
	TopicARN         string
	Token            string
	Endpoint         string // the SNS endpoint, e.g. http://127.0.0.1:8080/
	Timestamp        time.Time
	SignatureVersion string
	Signature        string
	SigningCertURL   string
}

// NewSubscriptionConfirmation builds the SubscriptionConfirmation message,
// with SNS's wording and a SubscribeURL that calls ConfirmSubscription.
func NewSubscriptionConfirmation(in ConfirmationInput) SNSNotification {
	return SNSNotification{
		Type:      SNSTypeSubscriptionConfirmation,
		MessageID: in.MessageID,
		Token:     in.Token,
		TopicArn:  in.TopicARN,
		Message: "You have chosen to subscribe to the topic " + in.TopicARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     SubscribeURL(in.Endpoint, in.TopicARN, in.Token),
		Timestamp:        Timestamp(in.Timestamp),
		SignatureVersion: signatureVersion(in.SignatureVersion),
		Signature:        in.Signature,
		SigningCertURL:   in.SigningCertURL,
	}
}

// SubscribeURL is the ConfirmSubscription URL of a confirmation message.
func SubscribeURL(endpoint, topicARN, token string) string {
	return endpoint + "?Action=ConfirmSubscription&TopicArn=" + arnEscape(topicARN) + "&Token=" + url.QueryEscape(token)
}

// UnsubscribeURL is the Unsubscribe URL of a notification.
func UnsubscribeURL(endpoint, subscriptionARN string) string {
	return endpoint + "?Action=Unsubscribe&SubscriptionArn=" + arnEscape(subscriptionARN)
}

// arnEscape query-escapes an ARN but keeps its colons, as SNS writes them.
func arnEscape(arn string) string {
	return strings.ReplaceAll(url.QueryEscape(arn), "%3A", ":")
}

func signatureVersion(v string) string {
	if v == "" {
		return "1"
	}
	return v
}
