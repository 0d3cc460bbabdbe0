package stack

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestTranslateServices(t *testing.T) {
	in := translateInputs()
	dlqArn := "arn:aws:sqs:local:" + in.AccountID + ":app-Dlq"
	fnArn := fn.ARN("acme", "app-F", "")
	ten, one := 10, 1
	off := false
	for _, c := range []struct {
		name  string
		raw   Raw
		want  Resource
		notes []string
	}{
		{"queue", Raw{LogicalID: "Q", Type: typeQueue, Properties: map[string]any{"QueueName": "jobs", "VisibilityTimeout": "60", "DelaySeconds": 0,
			"RedrivePolicy": map[string]any{"deadLetterTargetArn": dlqArn, "maxReceiveCount": 3}, "KmsMasterKeyId": "alias/aws/sqs", "Tags": []any{}}},
			Resource{LogicalID: "Q", Type: typeQueue, Kind: KindQueue, Name: "jobs", Queue: &QueueSpec{Attributes: map[string]string{
				"VisibilityTimeout": "60", "DelaySeconds": "0", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":3}`}}},
			[]string{"KmsMasterKeyId", "Tags"}},
		{"fifo queue", Raw{LogicalID: "Q", Type: typeQueue, Properties: map[string]any{"FifoQueue": true, "ContentBasedDeduplication": "true"}},
			Resource{LogicalID: "Q", Type: typeQueue, Kind: KindQueue, Name: "app-Q.fifo", Queue: &QueueSpec{Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}}}, nil},
		{"topic", Raw{LogicalID: "T", Type: typeTopic, Properties: map[string]any{"DisplayName": "News", "KmsMasterKeyId": "k"}},
			Resource{LogicalID: "T", Type: typeTopic, Kind: KindTopic, Name: "app-T", Topic: &TopicSpec{Attributes: map[string]string{"DisplayName": "News"}}}, []string{"KmsMasterKeyId"}},
		{"subscription", Raw{LogicalID: "S", Type: typeSubscription, DependsOn: []string{"F"}, Properties: map[string]any{"TopicArn": "arn:aws:sns:local:1:t", "Protocol": "sqs",
			"Endpoint": dlqArn, "RawMessageDelivery": true, "FilterPolicy": `{"a":["b"]}`}},
			Resource{LogicalID: "S", Type: typeSubscription, Kind: KindSubscription, DependsOn: []string{"F"}, Subscription: &SubscriptionSpec{TopicARN: "arn:aws:sns:local:1:t",
				Protocol: "sqs", Endpoint: dlqArn, Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"a":["b"]}`}}}, nil},
		{"bucket", Raw{LogicalID: "B", Type: typeBucket, DependsOn: []string{"Dlq", "F"}, Properties: map[string]any{"BucketName": "uploads",
			"NotificationConfiguration": map[string]any{
				"LambdaConfigurations": []any{map[string]any{"Event": "s3:ObjectCreated:*", "Function": fnArn,
					"Filter": map[string]any{"S3Key": map[string]any{"Rules": []any{map[string]any{"Name": "prefix", "Value": "in/"}}}}}},
				"QueueConfigurations": []any{map[string]any{"Event": "s3:ObjectRemoved:*", "Queue": dlqArn}}},
			"CorsConfiguration":       map[string]any{"CorsRules": []any{map[string]any{"AllowedMethods": []any{"GET"}, "AllowedOrigins": []any{"*"}, "MaxAge": 300}}},
			"VersioningConfiguration": map[string]any{"Status": "Suspended"},
			"BucketEncryption":        map[string]any{}}},
			Resource{LogicalID: "B", Type: typeBucket, Kind: KindBucket, Name: "uploads", Bucket: &BucketSpec{
				Notifications: []BucketNotification{{Kind: "lambda", Target: fnArn, Events: []string{"s3:ObjectCreated:*"}, Prefix: "in/"},
					{Kind: "queue", Target: dlqArn, Events: []string{"s3:ObjectRemoved:*"}}},
				CORS: json.RawMessage(`{"CORSRules":[{"AllowedMethods":["GET"],"AllowedOrigins":["*"],"MaxAgeSeconds":300}]}`)}},
			[]string{"BucketEncryption"}},
		{"table", Raw{LogicalID: "U", Type: typeTable, Properties: map[string]any{"TableName": "users", "BillingMode": "PAY_PER_REQUEST",
			"KeySchema":               []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}},
			"AttributeDefinitions":    []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}, map[string]any{"AttributeName": "sk", "AttributeType": "N"}},
			"StreamSpecification":     map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"},
			"TimeToLiveSpecification": map[string]any{"AttributeName": "exp", "Enabled": true},
			"ProvisionedThroughput":   map[string]any{"ReadCapacityUnits": 5}, "SSESpecification": map[string]any{}, "PointInTimeRecoverySpecification": map[string]any{}}},
			Resource{LogicalID: "U", Type: typeTable, Kind: KindTable, Name: "users", Table: &TableSpec{
				KeySchema: []KeyElement{{"pk", "HASH"}, {"sk", "RANGE"}}, Attributes: []AttrDef{{"pk", "S"}, {"sk", "N"}},
				BillingMode: "PAY_PER_REQUEST", StreamView: "NEW_AND_OLD_IMAGES", TTLAttribute: "exp"}},
			[]string{"ProvisionedThroughput", "SSESpecification", "PointInTimeRecoverySpecification"}},
		{"simple table", Raw{LogicalID: "S", Type: typeSimpleTable, Properties: map[string]any{"PrimaryKey": map[string]any{"Name": "n", "Type": "Number"}}},
			Resource{LogicalID: "S", Type: typeSimpleTable, Kind: KindTable, Name: "app-S", Table: &TableSpec{
				KeySchema: []KeyElement{{"n", "HASH"}}, Attributes: []AttrDef{{"n", "N"}}, BillingMode: "PAY_PER_REQUEST"}}, nil},
		{"simple table default", Raw{LogicalID: "S", Type: typeSimpleTable, Properties: map[string]any{"TableName": "t"}},
			Resource{LogicalID: "S", Type: typeSimpleTable, Kind: KindTable, Name: "t", Table: &TableSpec{
				KeySchema: []KeyElement{{"id", "HASH"}}, Attributes: []AttrDef{{"id", "S"}}, BillingMode: "PAY_PER_REQUEST"}}, nil},
		{"mapping", Raw{LogicalID: "M", Type: typeMapping, DependsOn: []string{"F"}, Properties: map[string]any{"FunctionName": fn.ARN("acme", "app-F", "live"),
			"EventSourceArn": dlqArn, "BatchSize": 10, "Enabled": false, "DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": dlqArn}},
			"ScalingConfig": map[string]any{"MaximumConcurrency": 2}, "ParallelizationFactor": 1}},
			Resource{LogicalID: "M", Type: typeMapping, Kind: KindMapping, DependsOn: []string{"F"}, Mapping: &MappingSpec{EventSourceArn: dlqArn,
				FunctionName: "app-F:live", BatchSize: &ten, Enabled: &off, OnFailure: dlqArn, MaximumConcurrency: ptr(2)}},
			[]string{"ParallelizationFactor"}},
		{"schedule", Raw{LogicalID: "Nightly", Type: typeSchedule, DependsOn: []string{"F"}, Properties: map[string]any{"Name": "nightly",
			"ScheduleExpression": "cron(0 2 * * ? *)", "FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "GroupName": "default", "Description": "d",
			"Target": map[string]any{"Arn": fnArn, "RoleArn": "arn:aws:iam::1:role/r", "Input": "{}", "RetryPolicy": map[string]any{"MaximumRetryAttempts": 1},
				"DeadLetterConfig": map[string]any{"Arn": dlqArn}}}},
			Resource{LogicalID: "Nightly", Type: typeSchedule, Kind: KindSchedule, Name: "nightly", DependsOn: []string{"F"}, Schedule: &ScheduleSpec{
				Expression: "cron(0 2 * * ? *)", Description: "d", TargetARN: fnArn, Input: "{}", MaxRetries: &one, DeadLetterARN: dlqArn}},
			[]string{"Target.RoleArn"}},
	} {
		rs := translate(t, Raw{LogicalID: "Dlq", Type: typeQueue, Properties: map[string]any{}}, fnRaw("F", nil), c.raw)
		got := find(t, rs, c.raw.LogicalID)
		for _, n := range c.notes {
			if !hasNote(got, n) {
				t.Errorf("%s: notes %q lack %s", c.name, got.Notes, n)
			}
		}
		got.Notes = nil
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, *got, c.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestTranslateTopicSubscriptions: inline subscriptions become their own
// resources, depending on the topic and the function they name.
func TestTranslateTopicSubscriptions(t *testing.T) {
	in := translateInputs()
	rs := translate(t, fnRaw("F", nil), Raw{LogicalID: "T", Type: typeTopic, DependsOn: []string{"F"}, Properties: map[string]any{
		"Subscription": []any{map[string]any{"Protocol": "lambda", "Endpoint": fn.ARN("acme", "app-F", "")},
			map[string]any{"Protocol": "email", "Endpoint": "a@example.com"}}}})
	s0, s1 := find(t, rs, "TSubscription0"), find(t, rs, "TSubscription1")
	topicArn := "arn:aws:sns:local:" + in.AccountID + ":app-T"
	if s0.Kind != KindSubscription || s0.Subscription.TopicARN != topicArn || !reflect.DeepEqual(s0.DependsOn, []string{"F", "T"}) {
		t.Errorf("subscription 0: %+v %+v", s0, s0.Subscription)
	}
	if s1.Subscription.Protocol != "email" || !reflect.DeepEqual(s1.DependsOn, []string{"T"}) {
		t.Errorf("subscription 1: %+v %+v", s1, s1.Subscription)
	}
}

func TestTranslateServiceRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  Raw
		want []string
	}{
		{"queue unknown", Raw{LogicalID: "Q", Type: typeQueue, Properties: map[string]any{"Colour": "x"}}, []string{"Resource Q (AWS::SQS::Queue), property Colour"}},
		{"redrive", Raw{LogicalID: "Q", Type: typeQueue, Properties: map[string]any{"RedrivePolicy": map[string]any{"maxReceiveCount": 3}}}, []string{"property RedrivePolicy", "deadLetterTargetArn"}},
		{"topic archive", Raw{LogicalID: "T", Type: typeTopic, Properties: map[string]any{"ArchivePolicy": map[string]any{}}}, []string{"Resource T (AWS::SNS::Topic), property ArchivePolicy"}},
		{"inline subscription", Raw{LogicalID: "T", Type: typeTopic, Properties: map[string]any{"Subscription": []any{map[string]any{"Protocol": "sqs"}}}}, []string{"property Subscription[0]", "Endpoint"}},
		{"subscription", Raw{LogicalID: "S", Type: typeSubscription, Properties: map[string]any{"TopicArn": "t", "Endpoint": "e"}}, []string{"Resource S (AWS::SNS::Subscription), property Protocol"}},
		{"scope", Raw{LogicalID: "S", Type: typeSubscription, Properties: map[string]any{"TopicArn": "t", "Endpoint": "e", "Protocol": "sqs", "FilterPolicyScope": "Body"}}, []string{"property FilterPolicyScope"}},
		{"versioning", Raw{LogicalID: "B", Type: typeBucket, Properties: map[string]any{"VersioningConfiguration": map[string]any{"Status": "Enabled"}}}, []string{"Resource B (AWS::S3::Bucket), property VersioningConfiguration.Status"}},
		{"eventbridge", Raw{LogicalID: "B", Type: typeBucket, Properties: map[string]any{"NotificationConfiguration": map[string]any{"EventBridgeConfiguration": map[string]any{}}}}, []string{"property NotificationConfiguration.EventBridgeConfiguration"}},
		{"notification", Raw{LogicalID: "B", Type: typeBucket, Properties: map[string]any{"NotificationConfiguration": map[string]any{"TopicConfigurations": []any{map[string]any{"Event": "s3:ObjectCreated:*"}}}}}, []string{"property NotificationConfiguration.TopicConfigurations[0]", "Topic"}},
		{"lifecycle", Raw{LogicalID: "B", Type: typeBucket, Properties: map[string]any{"LifecycleConfiguration": map[string]any{}}}, []string{"property LifecycleConfiguration"}},
		{"gsi", Raw{LogicalID: "U", Type: typeTable, Properties: map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
			"GlobalSecondaryIndexes": []any{}}}, []string{"Resource U (AWS::DynamoDB::Table), property GlobalSecondaryIndexes", "secondary indexes are not supported yet"}},
		{"lsi", Raw{LogicalID: "U", Type: typeTable, Properties: map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
			"LocalSecondaryIndexes": []any{}}}, []string{"property LocalSecondaryIndexes"}},
		{"key type", Raw{LogicalID: "U", Type: typeTable, Properties: map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "id", "KeyType": "PRIMARY"}}}}, []string{"property KeySchema[0].KeyType"}},
		{"no keys", Raw{LogicalID: "U", Type: typeTable, Properties: map[string]any{}}, []string{"property KeySchema", "is required"}},
		{"simple key", Raw{LogicalID: "S", Type: typeSimpleTable, Properties: map[string]any{"PrimaryKey": map[string]any{"Name": "id", "Type": "Text"}}}, []string{"Resource S (AWS::Serverless::SimpleTable), property PrimaryKey.Type"}},
		{"mapping source", Raw{LogicalID: "M", Type: typeMapping, Properties: map[string]any{"FunctionName": "f", "SelfManagedEventSource": map[string]any{}}}, []string{"Resource M (AWS::Lambda::EventSourceMapping)"}},
		{"mapping timestamp", Raw{LogicalID: "M", Type: typeMapping, Properties: map[string]any{"FunctionName": "f", "EventSourceArn": "a", "StartingPositionTimestamp": 5}}, []string{"property StartingPositionTimestamp"}},
		{"schedule group", Raw{LogicalID: "S", Type: typeSchedule, Properties: map[string]any{"ScheduleExpression": "rate(1 hour)", "GroupName": "g", "Target": map[string]any{"Arn": fn.ARN("acme", "f", "")}}}, []string{"Resource S (AWS::Scheduler::Schedule), property GroupName"}},
		{"schedule target", Raw{LogicalID: "S", Type: typeSchedule, Properties: map[string]any{"ScheduleExpression": "rate(1 hour)", "Target": map[string]any{"Arn": "arn:aws:sqs:local:1:q"}}}, []string{"property Target.Arn", "function"}},
		{"schedule no target", Raw{LogicalID: "S", Type: typeSchedule, Properties: map[string]any{"ScheduleExpression": "rate(1 hour)"}}, []string{"property Target"}},
		{"schedule after", Raw{LogicalID: "S", Type: typeSchedule, Properties: map[string]any{"ScheduleExpression": "at(2026-01-01T00:00:00)", "ActionAfterCompletion": "DELETE", "Target": map[string]any{"Arn": fn.ARN("acme", "f", "")}}}, []string{"property ActionAfterCompletion"}},
	} {
		refusal(t, c.name, []Raw{c.raw}, c.want...)
	}
}
