package stack

import (
	"encoding/json"

	"github.com/updraft-dev/updraft/internal/fn"
)

// Inputs are what a template is resolved against besides its own text.
type Inputs struct {
	Stack      string            // the stack's name (AWS::StackName)
	Tenant     string            // the deploying tenant
	AccountID  string            // fn.AccountID(Tenant) (AWS::AccountId)
	Region     string            // fn.Region (AWS::Region)
	Endpoint   string            // the AWS endpoint base URL, "http://127.0.0.1:9000" (QueueUrl = Endpoint/ACCOUNT/NAME)
	RoutesURL  string            // the HTTP routes listener's base URL, "http://127.0.0.1:8088" ("" when routes are off)
	Parameters map[string]string // --parameter-overrides
}

// Kind is the platform resource a template resource becomes.
type Kind string

// The kinds, in the order a deploy creates them (a delete goes backwards);
// within a kind, DependsOn orders.
const (
	KindTable        Kind = "table"        // AWS::DynamoDB::Table, AWS::Serverless::SimpleTable
	KindQueue        Kind = "queue"        // AWS::SQS::Queue
	KindTopic        Kind = "topic"        // AWS::SNS::Topic
	KindBucket       Kind = "bucket"       // AWS::S3::Bucket (its notifications are applied after functions: see BucketSpec)
	KindAPI          Kind = "api"          // AWS::Serverless::HttpApi / Api (and the implicit ServerlessHttpApi / ServerlessRestApi): its routes are the functions' http triggers
	KindFunction     Kind = "function"     // AWS::Serverless::Function
	KindSubscription Kind = "subscription" // AWS::SNS::Subscription, a function's SNS event
	KindMapping      Kind = "mapping"      // AWS::Lambda::EventSourceMapping, a function's DynamoDB or SQS event
	KindSchedule     Kind = "schedule"     // AWS::Scheduler::Schedule, a function's Schedule / ScheduleV2 event
)

// KindOrder is the order of creation.
var KindOrder = []Kind{KindTable, KindQueue, KindTopic, KindBucket, KindAPI, KindFunction, KindSubscription, KindMapping, KindSchedule}

// Resource is one platform resource a template declares, fully resolved
// (no intrinsics left): exactly one of the spec pointers is set, the one
// of its Kind.
type Resource struct {
	LogicalID string `json:"logical_id"` // the template's key (or the generated one: FunctionEventName, ServerlessHttpApi)
	Type      string `json:"type"`       // the template type, AWS::Serverless::Function
	Kind      Kind   `json:"kind"`
	// Name is the physical name: the function, queue, topic, bucket,
	// table or schedule name; the API's id; "" for a subscription or a
	// mapping (their ids are known after they are made: Applied.ID).
	Name string `json:"name"`
	// DependsOn are logical ids that must be applied first (references
	// and DependsOn: in the template).
	DependsOn []string `json:"depends_on,omitempty"`
	// Notes name accepted properties that have no effect here and why
	// ("Architectures: functions run on the host's architecture"); the
	// plan prints them. A property neither applied nor noted is refused.
	Notes []string `json:"notes,omitempty"`

	Function     *FunctionSpec     `json:"function,omitempty"`
	Queue        *QueueSpec        `json:"queue,omitempty"`
	Topic        *TopicSpec        `json:"topic,omitempty"`
	Subscription *SubscriptionSpec `json:"subscription,omitempty"`
	Bucket       *BucketSpec       `json:"bucket,omitempty"`
	Table        *TableSpec        `json:"table,omitempty"`
	Mapping      *MappingSpec      `json:"mapping,omitempty"`
	Schedule     *ScheduleSpec     `json:"schedule,omitempty"`
	API          *APISpec          `json:"api,omitempty"`
}

// FunctionSpec is an AWS::Serverless::Function with Globals.Function
// merged in.
type FunctionSpec struct {
	// CodeURI is the template's CodeUri as written (a directory relative
	// to the template); the deploy request carries its zip under this key.
	CodeURI     string            `json:"code_uri"`
	Runtime     string            `json:"runtime"` // Lambda's name: python3.12, nodejs20.x, provided.al2023, go1.x
	Handler     string            `json:"handler,omitempty"`
	MemoryMB    int               `json:"memory_mb,omitempty"`
	TimeoutSec  int               `json:"timeout_s,omitempty"`
	EphemeralMB int               `json:"ephemeral_mb,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	Description string            `json:"description,omitempty"`
	// Permissions come from Policies (nil: everything of the tenant, as
	// when no Policies are given).
	Permissions fn.Permissions `json:"permissions"`
	// Triggers are the function's Api / HttpApi events (type http: see
	// docs/TRIGGERS-routes.md for the fields), applied with the function.
	Triggers []fn.Trigger `json:"triggers,omitempty"`
	// Reserved is ReservedConcurrentExecutions (nil: none).
	Reserved *int `json:"reserved,omitempty"`
	// Alias is AutoPublishAlias: each deploy that changes the function
	// publishes a version and points the alias at it (through Deployment).
	Alias string `json:"alias,omitempty"`
	// Provisioned is ProvisionedConcurrencyConfig's
	// ProvisionedConcurrentExecutions, on Alias.
	Provisioned int                   `json:"provisioned,omitempty"`
	Deployment  *DeploymentPreference `json:"deployment,omitempty"`
	EventInvoke *EventInvokeSpec      `json:"event_invoke,omitempty"`
	// DeadLetterARN is DeadLetterQueue's TargetArn (a queue or topic ARN).
	DeadLetterARN string   `json:"dead_letter_arn,omitempty"`
	URL           *URLSpec `json:"url,omitempty"`
}

// DeploymentPreference is SAM's DeploymentPreference: how the alias moves
// to a new version.
type DeploymentPreference struct {
	// Type is CodeDeploy's: AllAtOnce, Canary10Percent5Minutes,
	// Linear10PercentEvery1Minute, …
	Type string `json:"type"`
	// Enabled false deploys all at once.
	Enabled bool `json:"enabled"`
	// PreTraffic and PostTraffic name hook functions (physical names).
	PreTraffic  string `json:"pre_traffic,omitempty"`
	PostTraffic string `json:"post_traffic,omitempty"`
	// MaxErrorRate is the error-rate guard: the new version erroring on
	// more than this share of its calls during the shift rolls back
	// (default DefaultMaxErrorRate).
	MaxErrorRate float64 `json:"max_error_rate,omitempty"`
}

// DefaultMaxErrorRate is the error-rate guard's threshold when none is set.
const DefaultMaxErrorRate = 0.05

// EventInvokeSpec is EventInvokeConfig.
type EventInvokeSpec struct {
	MaxRetries *int   `json:"max_retries,omitempty"`
	MaxAgeSec  *int   `json:"max_age_s,omitempty"`
	OnSuccess  string `json:"on_success,omitempty"` // destination ARN
	OnFailure  string `json:"on_failure,omitempty"`
}

// URLSpec is FunctionUrlConfig.
type URLSpec struct {
	AuthType string          `json:"auth_type"` // NONE or AWS_IAM
	CORS     json.RawMessage `json:"cors,omitempty"`
}

// QueueSpec is an AWS::SQS::Queue: its SQS attributes as SetQueueAttributes
// takes them (VisibilityTimeout, RedrivePolicy as JSON text, FifoQueue, …).
type QueueSpec struct {
	Attributes map[string]string `json:"attributes,omitempty"`
}

// TopicSpec is an AWS::SNS::Topic; inline Subscription entries become
// their own KindSubscription resources.
type TopicSpec struct {
	Attributes map[string]string `json:"attributes,omitempty"` // FifoTopic, ContentBasedDeduplication, DisplayName
}

// SubscriptionSpec is an AWS::SNS::Subscription or a function's SNS event.
type SubscriptionSpec struct {
	TopicARN   string            `json:"topic_arn"`
	Protocol   string            `json:"protocol"`             // lambda, sqs, http, https, email
	Endpoint   string            `json:"endpoint"`             // function ARN, queue ARN, URL
	Attributes map[string]string `json:"attributes,omitempty"` // FilterPolicy, FilterPolicyScope, RawMessageDelivery, RedrivePolicy (JSON text)
}

// BucketSpec is an AWS::S3::Bucket with the function S3 events that name
// it merged into its notifications. The backend applies the bucket in two
// steps: the bucket before functions, its notifications after them
// (ApplyNotifications), as a notification's target must exist.
type BucketSpec struct {
	Notifications []BucketNotification `json:"notifications,omitempty"`
	CORS          json.RawMessage      `json:"cors,omitempty"` // CorsConfiguration as S3's PutBucketCors JSON (CORSRules)
}

// BucketNotification is one S3 notification configuration entry.
type BucketNotification struct {
	Kind   string   `json:"kind"`   // lambda, queue, topic
	Target string   `json:"target"` // the function, queue or topic ARN
	Events []string `json:"events"` // s3:ObjectCreated:*, …
	Prefix string   `json:"prefix,omitempty"`
	Suffix string   `json:"suffix,omitempty"`
}

// TableSpec is an AWS::DynamoDB::Table or AWS::Serverless::SimpleTable.
type TableSpec struct {
	KeySchema   []KeyElement `json:"key_schema"`
	Attributes  []AttrDef    `json:"attributes"`
	BillingMode string       `json:"billing_mode,omitempty"` // PAY_PER_REQUEST or PROVISIONED (both serve the same)
	// StreamView is StreamSpecification.StreamViewType ("": no stream).
	StreamView string `json:"stream_view,omitempty"`
	// TTLAttribute is TimeToLiveSpecification.AttributeName when enabled.
	TTLAttribute string `json:"ttl_attribute,omitempty"`
}

// KeyElement is a KeySchema entry.
type KeyElement struct {
	Name string `json:"name"`
	Type string `json:"type"` // HASH or RANGE
}

// AttrDef is an AttributeDefinitions entry.
type AttrDef struct {
	Name string `json:"name"`
	Type string `json:"type"` // S, N or B
}

// MappingSpec is an event source mapping: CreateEventSourceMapping's
// input (Lambda's JSON field names), FunctionName a physical name with an
// optional :qualifier.
type MappingSpec struct {
	EventSourceArn                 string          `json:"EventSourceArn"`
	FunctionName                   string          `json:"FunctionName"`
	BatchSize                      *int            `json:"BatchSize,omitempty"`
	MaximumBatchingWindowInSeconds *int            `json:"MaximumBatchingWindowInSeconds,omitempty"`
	StartingPosition               string          `json:"StartingPosition,omitempty"`
	Enabled                        *bool           `json:"Enabled,omitempty"`
	FunctionResponseTypes          []string        `json:"FunctionResponseTypes,omitempty"`
	BisectBatchOnFunctionError     *bool           `json:"BisectBatchOnFunctionError,omitempty"`
	MaximumRetryAttempts           *int            `json:"MaximumRetryAttempts,omitempty"`
	MaximumRecordAgeInSeconds      *int            `json:"MaximumRecordAgeInSeconds,omitempty"`
	OnFailure                      string          `json:"OnFailure,omitempty"` // DestinationConfig.OnFailure.Destination
	MaximumConcurrency             *int            `json:"MaximumConcurrency,omitempty"`
	FilterCriteria                 json.RawMessage `json:"FilterCriteria,omitempty"`
}

// ScheduleSpec is an AWS::Scheduler::Schedule or a function's Schedule /
// ScheduleV2 event, as EventBridge Scheduler's CreateSchedule takes it.
type ScheduleSpec struct {
	Expression         string `json:"expression"` // rate(…), cron(…), at(…)
	Timezone           string `json:"timezone,omitempty"`
	State              string `json:"state,omitempty"` // ENABLED (default) or DISABLED
	Description        string `json:"description,omitempty"`
	StartDate          string `json:"start_date,omitempty"` // RFC 3339
	EndDate            string `json:"end_date,omitempty"`
	FlexibleWindowMins int    `json:"flexible_window_mins,omitempty"` // 0: OFF
	TargetARN          string `json:"target_arn"`                     // the function's ARN (with :alias)
	Input              string `json:"input,omitempty"`                // the event's JSON text
	MaxRetries         *int   `json:"max_retries,omitempty"`
	MaxEventAgeSec     *int   `json:"max_event_age_s,omitempty"`
	DeadLetterARN      string `json:"dead_letter_arn,omitempty"`
}

// APISpec is an HTTP or REST API: its routes are the http triggers of the
// functions whose events name it; it holds what they share.
type APISpec struct {
	Protocol string `json:"protocol"` // HTTP (HttpApi) or REST (Api)
	Stage    string `json:"stage,omitempty"`
	URL      string `json:"url"` // where its routes are served (Inputs.RoutesURL)
}

// Output is one of the template's Outputs, resolved.
type Output struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}
