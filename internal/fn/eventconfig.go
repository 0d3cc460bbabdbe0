package fn

import (
	"strings"
	"time"
)

// Lambda's bounds and defaults for asynchronous invocation.
const (
	DefaultMaxRetryAttempts = 2
	MaxRetryAttempts        = 2
	DefaultMaxEventAgeSec   = 21600 // 6 hours
	MinEventAgeSec          = 60
	MaxEventAgeSec          = 21600
)

// EventInvokeConfig is a function's (or version's or alias's) setting for
// asynchronous invocation, Lambda's FunctionEventInvokeConfig: how often a
// failed event is retried, how old it may get, and where its outcome goes.
type EventInvokeConfig struct {
	Tenant    string `json:"tenant"`
	Function  string `json:"function"`
	Qualifier string `json:"qualifier"` // "$LATEST", a version or an alias
	// nil: Lambda's defaults (2 retries, 6 hours).
	MaxRetryAttempts *int `json:"max_retry_attempts,omitempty"`
	MaxEventAgeSec   *int `json:"max_event_age_s,omitempty"`
	// OnSuccess and OnFailure are destination ARNs (a queue, a topic or
	// a function of the same account); "" for none.
	OnSuccess    string    `json:"on_success,omitempty"`
	OnFailure    string    `json:"on_failure,omitempty"`
	LastModified time.Time `json:"last_modified"`
}

// Attempts is the most invocations of one event: the first and the retries.
func (c *EventInvokeConfig) Attempts() int {
	if c == nil || c.MaxRetryAttempts == nil {
		return 1 + DefaultMaxRetryAttempts
	}
	return 1 + *c.MaxRetryAttempts
}

// MaxAge is how old an event may get before it is given up.
func (c *EventInvokeConfig) MaxAge() time.Duration {
	if c == nil || c.MaxEventAgeSec == nil {
		return DefaultMaxEventAgeSec * time.Second
	}
	return time.Duration(*c.MaxEventAgeSec) * time.Second
}

// Validate checks the bounds and the destinations' form; whether the
// destinations exist is the caller's to check.
func (c *EventInvokeConfig) Validate() error {
	if c.MaxRetryAttempts != nil && (*c.MaxRetryAttempts < 0 || *c.MaxRetryAttempts > MaxRetryAttempts) {
		return InvalidParameter("MaximumRetryAttempts must be between 0 and %d, got %d", MaxRetryAttempts, *c.MaxRetryAttempts)
	}
	if c.MaxEventAgeSec != nil && (*c.MaxEventAgeSec < MinEventAgeSec || *c.MaxEventAgeSec > MaxEventAgeSec) {
		return InvalidParameter("MaximumEventAgeInSeconds must be between %d and %d, got %d", MinEventAgeSec, MaxEventAgeSec, *c.MaxEventAgeSec)
	}
	for _, d := range []struct{ name, arn string }{{"OnSuccess", c.OnSuccess}, {"OnFailure", c.OnFailure}} {
		if d.arn == "" {
			continue
		}
		if _, err := ParseDestination(c.Tenant, d.arn); err != nil {
			return InvalidParameter("DestinationConfig.%s.Destination: %s", d.name, err.Error())
		}
	}
	return nil
}

// Destination kinds.
const (
	DestinationQueue    = "sqs"
	DestinationTopic    = "sns"
	DestinationFunction = "lambda"
)

// Destination is a parsed destination (or dead-letter target) ARN.
type Destination struct {
	Kind string // DestinationQueue, DestinationTopic or DestinationFunction
	Name string // the queue's, topic's or function's name
	// Qualifier is a function destination's version or alias, "" for none.
	Qualifier string
	ARN       string
}

// ParseDestination parses arn as a destination of tenant: an SQS queue,
// an SNS topic or a Lambda function in tenant's account.
func ParseDestination(tenant, arn string) (Destination, error) {
	p := strings.SplitN(arn, ":", 7)
	if len(p) < 6 || p[0] != "arn" {
		return Destination{}, errorString("it is not an ARN (arn:aws:sqs|sns|lambda:REGION:ACCOUNT:NAME)")
	}
	if p[4] != AccountID(tenant) {
		return Destination{}, errorString("it names account " + p[4] + ", not this account (" + AccountID(tenant) + ")")
	}
	d := Destination{Kind: p[2], ARN: arn}
	switch p[2] {
	case DestinationQueue, DestinationTopic:
		if len(p) != 6 || p[5] == "" {
			return Destination{}, errorString("a queue or topic ARN ends in its name")
		}
		d.Name = p[5]
	case DestinationFunction:
		if len(p) < 7 || p[5] != "function" || p[6] == "" {
			return Destination{}, errorString("a function ARN is arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]")
		}
		d.Name, d.Qualifier, _ = strings.Cut(p[6], ":")
	default:
		return Destination{}, errorString("the service " + p[2] + " is not a destination: use an SQS queue, an SNS topic or a Lambda function")
	}
	return d, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }
