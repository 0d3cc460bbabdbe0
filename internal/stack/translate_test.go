package stack

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func translateInputs() Inputs {
	return Inputs{Stack: "app", Tenant: "acme", AccountID: fn.AccountID("acme"), Region: fn.Region,
		Endpoint: "http://127.0.0.1:9000", RoutesURL: "http://127.0.0.1:8088"}
}

// fnRaw is a function resource with the properties every function needs
// and props over them (a nil value deletes one).
func fnRaw(id string, props map[string]any) Raw {
	p := map[string]any{"CodeUri": "src/", "Handler": "app.handler", "Runtime": "python3.12"}
	for k, v := range props {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return Raw{LogicalID: id, Type: typeFunction, Properties: p}
}

func translate(t *testing.T, raws ...Raw) []Resource {
	t.Helper()
	out, _, err := Translate(&Resolved{Resources: raws}, translateInputs())
	if err != nil {
		t.Fatalf("Translate: %v", err)
	}
	return out
}

func find(t *testing.T, rs []Resource, id string) *Resource {
	t.Helper()
	for i := range rs {
		if rs[i].LogicalID == id {
			return &rs[i]
		}
	}
	t.Fatalf("no resource %s among %d", id, len(rs))
	return nil
}

func hasNote(r *Resource, part string) bool {
	return slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, part) })
}

// refusal checks that raws are refused with a ValidationError containing
// every part of want (the resource, the property path, the reason).
func refusal(t *testing.T, name string, raws []Raw, want ...string) {
	t.Helper()
	_, _, err := Translate(&Resolved{Resources: raws}, translateInputs())
	var fe *fn.Error
	if err == nil || !errors.As(err, &fe) || fe.Type != ValidationError {
		t.Errorf("%s: got %v, want a ValidationError", name, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %q does not say %q", name, err, w)
		}
	}
}

func TestTranslateFunction(t *testing.T) {
	rs := translate(t,
		Raw{LogicalID: "Dlq", Type: typeQueue, Properties: map[string]any{}},
		Raw{LogicalID: "Hook", Type: typeFunction, Properties: map[string]any{"CodeUri": "hook", "Runtime": "nodejs20.x", "Handler": "i.h", "FunctionName": "pre-hook"}},
		fnRaw("Api", map[string]any{
			"FunctionName": "items", "MemorySize": "256", "Timeout": 10, "Description": "items API",
			"EphemeralStorage":             map[string]any{"Size": 1024},
			"Environment":                  map[string]any{"Variables": map[string]any{"TABLE": "t", "N": 3, "ON": true}},
			"ReservedConcurrentExecutions": 5, "AutoPublishAlias": "live",
			"ProvisionedConcurrencyConfig": map[string]any{"ProvisionedConcurrentExecutions": 2},
			"DeploymentPreference": map[string]any{"Type": "Canary10Percent5Minutes",
				"Hooks":  map[string]any{"PreTraffic": "pre-hook", "PostTraffic": fn.ARN("acme", "post-hook", "")},
				"Alarms": []any{"a"}},
			"EventInvokeConfig": map[string]any{"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60,
				"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Type": "SQS", "Destination": "arn:aws:sqs:local:1:dlq"}}},
			"DeadLetterQueue":   map[string]any{"Type": "SQS", "TargetArn": "arn:aws:sqs:local:1:dlq"},
			"FunctionUrlConfig": map[string]any{"AuthType": "NONE", "Cors": map[string]any{"AllowOrigins": []any{"*"}}},
			"Architectures":     []any{"arm64"}, "Tracing": "Active", "Tags": map[string]any{"a": "b"},
			"Role": "arn:aws:iam::1:role/r",
		}))
	r := find(t, rs, "Api")
	one := 1
	sixty := 60
	five := 5
	want := &FunctionSpec{CodeURI: "src/", Runtime: "python3.12", Handler: "app.handler", MemoryMB: 256, TimeoutSec: 10,
		EphemeralMB: 1024, Env: map[string]string{"TABLE": "t", "N": "3", "ON": "true"}, Description: "items API",
		Reserved: &five, Alias: "live", Provisioned: 2,
		Deployment:    &DeploymentPreference{Type: "Canary10Percent5Minutes", Enabled: true, PreTraffic: "pre-hook", PostTraffic: "post-hook"},
		EventInvoke:   &EventInvokeSpec{MaxRetries: &one, MaxAgeSec: &sixty, OnFailure: "arn:aws:sqs:local:1:dlq"},
		DeadLetterARN: "arn:aws:sqs:local:1:dlq",
		URL:           &URLSpec{AuthType: "NONE", CORS: []byte(`{"AllowOrigins":["*"]}`)}}
	if r.Kind != KindFunction || r.Name != "items" || !reflect.DeepEqual(r.Function, want) {
		t.Fatalf("got %s %q %+v\nwant %+v", r.Kind, r.Name, *r.Function, *want)
	}
	for _, n := range []string{"Architectures", "Tracing", "Tags", "Role", "DeploymentPreference.Alarms: replaced by the error-rate guard"} {
		if !hasNote(r, n) {
			t.Errorf("no note for %s in %q", n, r.Notes)
		}
	}
	if h := find(t, rs, "Hook"); h.Name != "pre-hook" || h.Function.Permissions != nil {
		t.Errorf("hook: %+v", h)
	}
	if g := find(t, translate(t, fnRaw("F", nil)), "F"); g.Name != "app-F" {
		t.Errorf("generated name %q, want app-F", g.Name)
	}
}

func TestTranslateFunctionRefusals(t *testing.T) {
	for _, c := range []struct {
		name  string
		props map[string]any
		want  []string
	}{
		{"s3 code", map[string]any{"CodeUri": map[string]any{"Bucket": "b", "Key": "k"}}, []string{"Resource F (AWS::Serverless::Function), property CodeUri", "deploy from a directory; sam build's .aws-sam/build works too"}},
		{"s3 uri", map[string]any{"CodeUri": "s3://b/k.zip"}, []string{"property CodeUri", "deploy from a directory"}},
		{"inline", map[string]any{"CodeUri": nil, "InlineCode": "def h(e, c): pass"}, []string{"property InlineCode"}},
		{"image", map[string]any{"CodeUri": nil, "PackageType": "Image"}, []string{"property PackageType", "container images"}},
		{"runtime", map[string]any{"Runtime": "python2.7"}, []string{"property Runtime", "python2.7 is not a runtime Updraft runs", "nodejs20.x"}},
		{"no runtime", map[string]any{"Runtime": nil}, []string{"property Runtime", "is required"}},
		{"layers", map[string]any{"Layers": []any{"arn:aws:lambda:x:1:layer:l:1"}}, []string{"property Layers"}},
		{"unknown", map[string]any{"Colour": "blue"}, []string{"property Colour", "does not support"}},
		{"memory", map[string]any{"MemorySize": "lots"}, []string{"property MemorySize", "not a number"}},
		{"env nested", map[string]any{"Environment": map[string]any{"Variables": map[string]any{"A": map[string]any{}}}}, []string{"property Environment.Variables.A", "must be a string"}},
		{"env unknown", map[string]any{"Environment": map[string]any{"Vars": map[string]any{}}}, []string{"property Environment.Vars"}},
		{"deploy alias", map[string]any{"DeploymentPreference": map[string]any{"Type": "AllAtOnce"}}, []string{"property DeploymentPreference", "AutoPublishAlias"}},
		{"deploy type", map[string]any{"AutoPublishAlias": "live", "DeploymentPreference": map[string]any{"Type": "Sometimes"}}, []string{"property DeploymentPreference.Type"}},
		{"deploy triggers", map[string]any{"AutoPublishAlias": "live", "DeploymentPreference": map[string]any{"Type": "AllAtOnce", "TriggerConfigurations": []any{}}}, []string{"property DeploymentPreference.TriggerConfigurations"}},
		{"provisioned alias", map[string]any{"ProvisionedConcurrencyConfig": map[string]any{"ProvisionedConcurrentExecutions": 1}}, []string{"property ProvisionedConcurrencyConfig", "AutoPublishAlias"}},
		{"destination made", map[string]any{"EventInvokeConfig": map[string]any{"DestinationConfig": map[string]any{"OnSuccess": map[string]any{"Type": "SQS"}}}}, []string{"property EventInvokeConfig.DestinationConfig.OnSuccess.Destination", "is required"}},
		{"destination bus", map[string]any{"EventInvokeConfig": map[string]any{"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Type": "EventBridge", "Destination": "x"}}}}, []string{"OnFailure.Type", "EventBridge"}},
		{"dlq type", map[string]any{"DeadLetterQueue": map[string]any{"Type": "Kinesis", "TargetArn": "x"}}, []string{"property DeadLetterQueue.Type"}},
		{"url stream", map[string]any{"FunctionUrlConfig": map[string]any{"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM"}}, []string{"property FunctionUrlConfig.InvokeMode"}},
		{"url cors", map[string]any{"FunctionUrlConfig": map[string]any{"AuthType": "NONE", "Cors": map[string]any{"Origins": []any{"*"}}}}, []string{"property FunctionUrlConfig.Cors.Origins"}},
		{"deny", map[string]any{"Policies": []any{map[string]any{"Statement": []any{map[string]any{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}}}}, []string{"property Policies[0].Statement[0].Effect", "only Allow"}},
		{"template", map[string]any{"Policies": []any{map[string]any{"EC2DescribePolicy": map[string]any{}}}}, []string{"property Policies[0]", "EC2DescribePolicy is not supported"}},
		{"template arg", map[string]any{"Policies": []any{map[string]any{"S3ReadPolicy": map[string]any{"Bucket": "b"}}}}, []string{"property Policies[0].S3ReadPolicy"}},
		{"event type", map[string]any{"Events": map[string]any{"K": map[string]any{"Type": "Kinesis", "Properties": map[string]any{}}}}, []string{"property Events.K.Type", "Kinesis", "HttpApi"}},
		{"event property", map[string]any{"Events": map[string]any{"Q": map[string]any{"Type": "SQS", "Properties": map[string]any{"Queue": "arn:aws:sqs:local:1:q", "Size": 3}}}}, []string{"property Events.Q.Properties.Size"}},
	} {
		refusal(t, c.name, []Raw{fnRaw("F", c.props)}, c.want...)
	}
}

func TestTranslatePolicies(t *testing.T) {
	in := translateInputs()
	table := "arn:aws:dynamodb:" + in.Region + ":" + in.AccountID + ":table/users"
	for _, c := range []struct {
		name     string
		policies any
		nilPerms bool
		note     string
		allowed  [][2]string // action, resource
		denied   [][2]string
	}{
		{name: "none", policies: nil, nilPerms: true},
		{name: "managed only", policies: "AWSLambdaBasicExecutionRole", nilPerms: true, note: "none maps to a permission"},
		{name: "crud", policies: []any{"AWSLambdaBasicExecutionRole", map[string]any{"DynamoDBCrudPolicy": map[string]any{"TableName": "users"}}},
			note:    "AWSLambdaBasicExecutionRole is not applied",
			allowed: [][2]string{{"dynamodb:PutItem", table}, {"dynamodb:Query", table + "/index/byEmail"}},
			denied:  [][2]string{{"dynamodb:DeleteTable", table}, {"dynamodb:PutItem", table + "x"}, {"s3:GetObject", "arn:aws:s3:::users/a"}}},
		{name: "read", policies: []any{map[string]any{"DynamoDBReadPolicy": map[string]any{"TableName": "users"}}},
			allowed: [][2]string{{"dynamodb:GetItem", table}}, denied: [][2]string{{"dynamodb:PutItem", table}}},
		{name: "stream", policies: []any{map[string]any{"DynamoDBStreamReadPolicy": map[string]any{"TableName": "users", "StreamName": "*"}}},
			allowed: [][2]string{{"dynamodb:GetRecords", table + "/stream/2024"}}, denied: [][2]string{{"dynamodb:GetItem", table}}},
		{name: "sqs", policies: []any{map[string]any{"SQSSendMessagePolicy": map[string]any{"QueueName": "mail"}}, map[string]any{"SQSPollerPolicy": map[string]any{"QueueName": "in"}}},
			allowed: [][2]string{{"sqs:SendMessage", "arn:aws:sqs:local:" + in.AccountID + ":mail"}, {"sqs:SendMessageBatch", "arn:aws:sqs:local:" + in.AccountID + ":mail"}, {"sqs:DeleteMessage", "arn:aws:sqs:local:" + in.AccountID + ":in"}},
			denied:  [][2]string{{"sqs:ReceiveMessage", "arn:aws:sqs:local:" + in.AccountID + ":mail"}}},
		{name: "sns", policies: []any{map[string]any{"SNSPublishMessagePolicy": map[string]any{"TopicName": "news"}}},
			allowed: [][2]string{{"sns:Publish", "arn:aws:sns:local:" + in.AccountID + ":news"}}},
		{name: "s3", policies: []any{map[string]any{"S3ReadPolicy": map[string]any{"BucketName": "in"}}, map[string]any{"S3CrudPolicy": map[string]any{"BucketName": "out"}}},
			allowed: [][2]string{{"s3:GetObject", "arn:aws:s3:::in/a.png"}, {"s3:ListBucket", "arn:aws:s3:::in"}, {"s3:DeleteObject", "arn:aws:s3:::out/x"}},
			denied:  [][2]string{{"s3:PutObject", "arn:aws:s3:::in/a.png"}}},
		{name: "invoke", policies: []any{map[string]any{"LambdaInvokePolicy": map[string]any{"FunctionName": "worker"}}},
			allowed: [][2]string{{"lambda:InvokeFunction", fn.ARN("acme", "worker", "live")}}, denied: [][2]string{{"lambda:InvokeFunction", fn.ARN("other", "worker", "")}}},
		{name: "inline", policies: map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject"}, "Resource": "arn:aws:s3:::in/*"}}},
			allowed: [][2]string{{"s3:GetObject", "arn:aws:s3:::in/k"}}, denied: [][2]string{{"s3:PutObject", "arn:aws:s3:::in/k"}}},
	} {
		props := map[string]any{}
		if c.policies != nil {
			props["Policies"] = c.policies
		}
		r := find(t, translate(t, fnRaw("F", props)), "F")
		perms := r.Function.Permissions
		if (perms == nil) != c.nilPerms {
			t.Errorf("%s: permissions %v", c.name, perms)
		}
		if err := perms.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.note != "" && !hasNote(r, c.note) {
			t.Errorf("%s: notes %q lack %q", c.name, r.Notes, c.note)
		}
		for _, a := range c.allowed {
			if !perms.Allows(a[0], a[1]) {
				t.Errorf("%s: %s on %s denied by %+v", c.name, a[0], a[1], perms)
			}
		}
		for _, a := range c.denied {
			if perms.Allows(a[0], a[1]) {
				t.Errorf("%s: %s on %s allowed by %+v", c.name, a[0], a[1], perms)
			}
		}
	}
}

// TestTranslateUnmade: a Role and a Permission make nothing; their notes
// reach the function they concern and DependsOn drops them; another type
// is refused naming the types taken.
func TestTranslateUnmade(t *testing.T) {
	rs := translate(t,
		fnRaw("F", map[string]any{"Role": "arn:aws:iam::1:role/app-R"}),
		Raw{LogicalID: "P", Type: typePermission, Properties: map[string]any{"FunctionName": "app-F", "Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com"}, DependsOn: []string{"F"}},
		Raw{LogicalID: "R", Type: typeRole, Properties: map[string]any{"AssumeRolePolicyDocument": map[string]any{}, "Policies": []any{}}},
	)
	if len(rs) != 1 {
		t.Fatalf("%d resources, want the function only: %+v", len(rs), rs)
	}
	rs = translate(t,
		func() Raw { r := fnRaw("F", nil); r.DependsOn = []string{"R"}; return r }(),
		Raw{LogicalID: "R", Type: typeRole, Properties: map[string]any{}},
		Raw{LogicalID: "P", Type: typePermission, Properties: map[string]any{"FunctionName": fn.ARN("acme", "app-F", "")}},
	)
	f := find(t, rs, "F")
	if len(f.DependsOn) != 0 || !hasNote(f, "R (AWS::IAM::Role)") || !hasNote(f, "P (AWS::Lambda::Permission)") {
		t.Errorf("function: depends %v notes %q", f.DependsOn, f.Notes)
	}
	refusal(t, "ec2", []Raw{{LogicalID: "Box", Type: "AWS::EC2::Instance"}}, "Resource Box (AWS::EC2::Instance)", "does not make resources of this type", "AWS::SQS::Queue")
	refusal(t, "permission prop", []Raw{{LogicalID: "P", Type: typePermission, Properties: map[string]any{"Colour": "x"}}}, "Resource P (AWS::Lambda::Permission), property Colour")
}

func TestTranslateOutputs(t *testing.T) {
	raws := []Raw{
		fnRaw("Hello", map[string]any{"Events": map[string]any{"Get": map[string]any{"Type": "Api", "Properties": map[string]any{"Path": "/hello", "Method": "get"}}}}),
		{LogicalID: "Http", Type: typeHTTPAPI, Properties: map[string]any{"StageName": "v1"}},
	}
	outs := []Output{
		{Key: "HelloApi", Value: "https://app-serverlessrestapi.execute-api.local.amazonaws.com/Prod/hello/"},
		{Key: "Root", Value: "https://app-serverlessrestapi.execute-api.local.amazonaws.com/Prod"},
		{Key: "Staged", Value: "https://app-http.execute-api.local.amazonaws.com/v1/items"},
		{Key: "Foreign", Value: "https://abc123.execute-api.us-east-1.amazonaws.com/Prod/x"},
		{Key: "Arn", Value: "arn:aws:lambda:local:1:function:app-Hello", Description: "d"},
	}
	_, got, err := Translate(&Resolved{Resources: raws, Outputs: outs}, translateInputs())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:8088/hello/", "http://127.0.0.1:8088/", "http://127.0.0.1:8088/items",
		outs[3].Value, outs[4].Value}
	for i, o := range got {
		if o.Value != want[i] || o.Key != outs[i].Key || o.Description != outs[i].Description {
			t.Errorf("output %s = %q, want %q", o.Key, o.Value, want[i])
		}
	}
}
