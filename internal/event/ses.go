package event

import (
	"time"
)

// SESEvent is the event SES's Lambda receipt action passes a function for
// an inbound message: its headers and the receipt's verdicts, not its
// content (SES's Lambda action never carries the body).
type SESEvent struct {
	Records []SESEventRecord `json:"Records"`
}

// SESEventRecord is one record of an SESEvent.
type SESEventRecord struct {
	EventSource  string     `json:"eventSource"`
	EventVersion string     `json:"eventVersion"`
	SES          SESMessage `json:"ses"`
}

// SESMessage is a record's "ses" object.
type SESMessage struct {
	Mail    SESMail    `json:"mail"`
	Receipt SESReceipt `json:"receipt"`
}

// SESMail describes the message as received.
type SESMail struct {
	Timestamp        string           `json:"timestamp"`
	Source           string           `json:"source"`
	MessageID        string           `json:"messageId"`
	Destination      []string         `json:"destination"`
	HeadersTruncated bool             `json:"headersTruncated"`
	Headers          []SESHeader      `json:"headers"`
	CommonHeaders    SESCommonHeaders `json:"commonHeaders"`
}

// SESHeader is one header of the message, in the message's order.
type SESHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SESCommonHeaders are the headers SES reads for the function; address
// lists hold one entry per address ("Jane Doe <jane@example.com>").
type SESCommonHeaders struct {
	ReturnPath string   `json:"returnPath"`
	From       []string `json:"from,omitempty"`
	Date       string   `json:"date,omitempty"`
	To         []string `json:"to,omitempty"`
	Cc         []string `json:"cc,omitempty"`
	Bcc        []string `json:"bcc,omitempty"`
	Sender     []string `json:"sender,omitempty"`
	ReplyTo    []string `json:"replyTo,omitempty"`
	MessageID  string   `json:"messageId,omitempty"`
	Subject    string   `json:"subject,omitempty"`
}

// SESReceipt is what the receiving end did with the message.
type SESReceipt struct {
	Timestamp            string     `json:"timestamp"`
	ProcessingTimeMillis int64      `json:"processingTimeMillis"`
	Recipients           []string   `json:"recipients"`
	SpamVerdict          SESVerdict `json:"spamVerdict"`
	VirusVerdict         SESVerdict `json:"virusVerdict"`
	SPFVerdict           SESVerdict `json:"spfVerdict"`
	DKIMVerdict          SESVerdict `json:"dkimVerdict"`
	DMARCVerdict         SESVerdict `json:"dmarcVerdict"`
	DMARCPolicy          string     `json:"dmarcPolicy,omitempty"`
	Action               SESAction  `json:"action"`
}

// SESVerdict is a check's outcome: PASS, FAIL, GRAY, PROCESSING_FAILED or
// DISABLED.
type SESVerdict struct {
	Status string `json:"status"`
}

// SESAction is the receipt rule's action: SES's union of the Lambda
// action (functionArn, invocationType) and the S3 action (bucketName,
// objectKey), which says where the raw message is kept.
type SESAction struct {
	Type           string `json:"type"`
	TopicARN       string `json:"topicArn,omitempty"`
	FunctionARN    string `json:"functionArn,omitempty"`
	InvocationType string `json:"invocationType,omitempty"`
	BucketName     string `json:"bucketName,omitempty"`
	ObjectKey      string `json:"objectKey,omitempty"`
}

// Verdict statuses.
const (
	VerdictDisabled = "DISABLED"
	VerdictGray     = "GRAY"
)

// SESInput is what an SMTP intake knows about a message it stored.
type SESInput struct {
	MessageID string
	Received  time.Time // when the message's data began to arrive
	Processed time.Time // when it was stored (processingTimeMillis ends here)
	Source    string    // the envelope sender (MAIL FROM), "" for a bounce
	// Destination is every envelope recipient of the message; Recipients
	// those that this record's rule (function) matched.
	Destination      []string
	Recipients       []string
	Headers          []SESHeader
	HeadersTruncated bool
	CommonHeaders    SESCommonHeaders
	FunctionARN      string
	// BucketName and ObjectKey locate the stored raw message.
	BucketName string
	ObjectKey  string
}

// sesTime is SES's timestamp format: UTC with milliseconds.
const sesTime = "2006-01-02T15:04:05.000Z"

// NewSESRecord builds the record SES's Lambda action (InvocationType
// Event) hands a function. Spam and virus scanning are not done, so their
// verdicts are DISABLED; SPF, DKIM and DMARC are not checked either, so
// theirs are GRAY ("neither passed nor failed"), as SES reports when it
// cannot tell.
func NewSESRecord(in SESInput) SESEventRecord {
	ch := in.CommonHeaders
	ch.ReturnPath = in.Source
	headers := in.Headers
	if headers == nil {
		headers = []SESHeader{}
	}
	return SESEventRecord{
		EventSource:  "aws:ses",
		EventVersion: "1.0",
		SES: SESMessage{
			Mail: SESMail{
				Timestamp:        in.Received.UTC().Format(sesTime),
				Source:           in.Source,
				MessageID:        in.MessageID,
				Destination:      nonNil(in.Destination),
				HeadersTruncated: in.HeadersTruncated,
				Headers:          headers,
				CommonHeaders:    ch,
			},
			Receipt: SESReceipt{
				Timestamp:            in.Received.UTC().Format(sesTime),
				ProcessingTimeMillis: max(in.Processed.Sub(in.Received).Milliseconds(), 0),
				Recipients:           nonNil(in.Recipients),
				SpamVerdict:          SESVerdict{VerdictDisabled},
				VirusVerdict:         SESVerdict{VerdictDisabled},
				SPFVerdict:           SESVerdict{VerdictGray},
				DKIMVerdict:          SESVerdict{VerdictGray},
				DMARCVerdict:         SESVerdict{VerdictGray},
				Action: SESAction{
					Type: "Lambda", FunctionARN: in.FunctionARN, InvocationType: "Event",
					BucketName: in.BucketName, ObjectKey: in.ObjectKey,
				},
			},
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
