package stack

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/httpapi"
)

func event(typ string, props map[string]any) map[string]any {
	return map[string]any{"Type": typ, "Properties": props}
}

func httpAPIs() []Raw {
	return []Raw{
		{LogicalID: "Http", Type: typeHTTPAPI, Properties: map[string]any{
			"Auth": map[string]any{"DefaultAuthorizer": "Jwt", "Authorizers": map[string]any{
				"Jwt": map[string]any{"IdentitySource": "$request.header.Authorization",
					"JwtConfiguration": map[string]any{"issuer": "https://issuer.example", "audience": []any{"api"}}},
				"Lam": map[string]any{"FunctionArn": fn.ARN("acme", "authz", ""), "Identity": map[string]any{"Headers": []any{"X-Token"}, "ReauthorizeEvery": 60}},
			}},
			"CorsConfiguration": map[string]any{"AllowOrigins": []any{"https://app.example"}, "AllowMethods": []any{"GET"}},
			"Tags":              map[string]any{"a": "b"},
		}},
		{LogicalID: "Rest", Type: typeRestAPI, Properties: map[string]any{
			"StageName": "v1", "Auth": map[string]any{"ApiKeyRequired": true}, "Cors": "'*'",
			"Models": map[string]any{"Item": map[string]any{"type": "object", "required": []any{"name"},
				"properties": map[string]any{"name": map[string]any{"type": "string"}}}},
		}},
	}
}

func TestTranslateHTTPEvents(t *testing.T) {
	raws := append(httpAPIs(), fnRaw("F", map[string]any{"FunctionName": "items", "AutoPublishAlias": "live", "Events": map[string]any{
		"List":    event("HttpApi", map[string]any{"ApiId": "app-http", "Path": "/items", "Method": "get"}),
		"Open":    event("HttpApi", map[string]any{"ApiId": "app-http", "Path": "/health", "Method": "any", "Auth": map[string]any{"Authorizer": "NONE"}}),
		"Private": event("HttpApi", map[string]any{"ApiId": "app-http", "Path": "/private/{proxy+}", "Method": "POST", "Auth": map[string]any{"Authorizer": "Lam"}, "TimeoutInMillis": 5000}),
		"Pub":     event("HttpApi", map[string]any{"Path": "/pub", "Method": "GET", "PayloadFormatVersion": "2.0"}),
		"Legacy":  event("HttpApi", map[string]any{"Path": "/legacy", "Method": "GET", "PayloadFormatVersion": 1.0}),
		"Create": event("Api", map[string]any{"RestApiId": "app-rest", "Path": "/items", "Method": "post",
			"RequestModel":      map[string]any{"Model": "Item", "Required": true, "ValidateBody": true},
			"RequestParameters": []any{map[string]any{"method.request.querystring.v": map[string]any{"Required": true}}, "method.request.header.X-Opt"}}),
		"Free":  event("Api", map[string]any{"RestApiId": "app-rest", "Path": "/free/{id}", "Method": "get", "Auth": map[string]any{"ApiKeyRequired": false}}),
		"Hello": event("Api", map[string]any{"Path": "/hello", "Method": "get"}),
	}}))
	rs := translate(t, raws...)
	f := find(t, rs, "F")
	schema := json.RawMessage(`{"properties":{"name":{"type":"string"}},"required":["name"],"type":"object"}`)
	cors := &httpCORS{Origins: []string{"https://app.example"}, Methods: []string{"GET"}}
	ttl := 60
	want := map[string]httpTrigger{
		// Api (REST) events get REST's payload 1.0 and their API's stage.
		"POST /items":    {Route: "POST /items", Auth: "apikey", Schema: schema, RequiredQuery: []string{"v"}, CORS: &httpCORS{Origins: []string{"*"}}, PayloadFormatVersion: "1.0", Stage: "v1"},
		"GET /free/{id}": {Route: "GET /free/{id}", CORS: &httpCORS{Origins: []string{"*"}}, PayloadFormatVersion: "1.0", Stage: "v1"},
		"GET /hello":     {Route: "GET /hello", PayloadFormatVersion: "1.0", Stage: "Prod"},
		// HttpApi events get 2.0 unless they ask for 1.0.
		"GET /items":             {Route: "GET /items", Auth: "jwt", JWT: &httpJWT{Issuer: "https://issuer.example", Audience: []string{"api"}}, CORS: cors, PayloadFormatVersion: "2.0"},
		"ANY /health":            {Route: "ANY /health", CORS: cors, PayloadFormatVersion: "2.0"},
		"POST /private/{proxy+}": {Route: "POST /private/{proxy+}", Auth: "function:authz", IdentitySource: []string{"$request.header.X-Token"}, TTL: &ttl, CORS: cors, PayloadFormatVersion: "2.0"},
		"GET /pub":               {Route: "GET /pub", PayloadFormatVersion: "2.0"},
		"GET /legacy":            {Route: "GET /legacy", PayloadFormatVersion: "1.0"},
	}
	var specs []json.RawMessage
	for _, tr := range f.Function.Triggers {
		var got httpTrigger
		if err := json.Unmarshal(tr.Spec, &got); err != nil || tr.Kind != "http" {
			t.Fatalf("trigger %s %s: %v", tr.Kind, tr.Spec, err)
		}
		w, ok := want[got.Route]
		w.Type, w.Qualifier = "http", "live"
		if !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("trigger %s\n got %+v\nwant %+v", tr.Spec, got, w)
		}
		delete(want, got.Route)
		specs = append(specs, tr.Spec)
	}
	if len(want) != 0 {
		t.Errorf("no triggers for %v", want)
	}
	// The triggers are what internal/httpapi takes.
	if err := httpapi.NewTriggers(nil, nil).Check(context.Background(), &fn.Function{Tenant: "acme", Name: "items"}, specs); err != nil {
		t.Fatalf("httpapi refuses the triggers: %v", err)
	}
	for id, w := range map[string]APISpec{
		"Http": {Protocol: "HTTP", Stage: "$default"}, "Rest": {Protocol: "REST", Stage: "v1"},
		implicitHTTPAPI: {Protocol: "HTTP", Stage: "$default"}, implicitRestAPI: {Protocol: "REST", Stage: "Prod"},
	} {
		a := find(t, rs, id)
		w.URL = "http://127.0.0.1:8088"
		if a.Kind != KindAPI || !reflect.DeepEqual(*a.API, w) || !slices.Contains(f.DependsOn, id) {
			t.Errorf("API %s: %+v, function depends on %v", id, a, f.DependsOn)
		}
	}
	if a := find(t, rs, implicitRestAPI); a.Name != "app-serverlessrestapi" || hasNote(a, "payload format") {
		t.Errorf("implicit REST API %+v", a)
	}
	if !hasNote(find(t, rs, "Http"), "Tags") || !hasNote(f, "TimeoutInMillis") {
		t.Errorf("notes: %q %q", find(t, rs, "Http").Notes, f.Notes)
	}
}

func TestTranslateHTTPRefusals(t *testing.T) {
	ev := func(typ string, props map[string]any) []Raw {
		return append(httpAPIs(), fnRaw("F", map[string]any{"Events": map[string]any{"E": event(typ, props)}}))
	}
	api := func(typ string, props map[string]any) []Raw {
		return []Raw{{LogicalID: "A", Type: typ, Properties: props}}
	}
	for _, c := range []struct {
		name string
		raws []Raw
		want []string
	}{
		{"definition", api(typeHTTPAPI, map[string]any{"DefinitionBody": map[string]any{}}), []string{"Resource A (AWS::Serverless::HttpApi), property DefinitionBody"}},
		{"domain", api(typeRestAPI, map[string]any{"Domain": map[string]any{}}), []string{"property Domain"}},
		{"cognito", api(typeRestAPI, map[string]any{"Auth": map[string]any{"Authorizers": map[string]any{"C": map[string]any{"UserPoolArn": "x"}}}}), []string{"property Auth.Authorizers.C.UserPoolArn", "Cognito"}},
		{"empty authorizer", api(typeHTTPAPI, map[string]any{"Auth": map[string]any{"Authorizers": map[string]any{"C": map[string]any{}}}}), []string{"property Auth.Authorizers.C", "JwtConfiguration or FunctionArn"}},
		{"jwt source", api(typeHTTPAPI, map[string]any{"Auth": map[string]any{"Authorizers": map[string]any{"C": map[string]any{"IdentitySource": "$request.header.X", "JwtConfiguration": map[string]any{"issuer": "https://i"}}}}}), []string{"property Auth.Authorizers.C.IdentitySource"}},
		{"default unknown", api(typeHTTPAPI, map[string]any{"Auth": map[string]any{"DefaultAuthorizer": "Nope"}}), []string{"property Auth.DefaultAuthorizer", "Nope"}},
		{"iam", api(typeHTTPAPI, map[string]any{"Auth": map[string]any{"EnableIamAuthorizer": true}}), []string{"property Auth.EnableIamAuthorizer"}},
		{"cors origins", api(typeHTTPAPI, map[string]any{"CorsConfiguration": map[string]any{"AllowMethods": []any{"GET"}}}), []string{"property CorsConfiguration.AllowOrigins"}},
		{"foreign api", ev("HttpApi", map[string]any{"ApiId": "abc", "Path": "/x", "Method": "GET"}), []string{"Resource F (AWS::Serverless::Function), property Events.E.Properties.ApiId", "abc"}},
		{"rest id is http", ev("Api", map[string]any{"RestApiId": "app-http", "Path": "/x", "Method": "GET"}), []string{"property Events.E.Properties.RestApiId"}},
		{"authorizer", ev("HttpApi", map[string]any{"ApiId": "app-http", "Path": "/x", "Method": "GET", "Auth": map[string]any{"Authorizer": "Other"}}), []string{"property Events.E.Properties.Auth.Authorizer", "Other"}},
		{"no path", ev("Api", map[string]any{"Method": "GET"}), []string{"property Events.E.Properties.Path"}},
		{"payload 3.0", ev("HttpApi", map[string]any{"Path": "/x", "Method": "GET", "PayloadFormatVersion": "3.0"}), []string{"property Events.E.Properties.PayloadFormatVersion", `"3.0" is not 1.0 or 2.0`}},
		{"model", ev("Api", map[string]any{"RestApiId": "app-rest", "Path": "/x", "Method": "POST", "RequestModel": map[string]any{"Model": "Nope"}}), []string{"property Events.E.Properties.RequestModel.Model"}},
		{"parameter", ev("Api", map[string]any{"Path": "/x", "Method": "POST", "RequestParameters": []any{"query.v"}}), []string{"property Events.E.Properties.RequestParameters"}},
		{"key and authorizer", []Raw{
			{LogicalID: "R", Type: typeRestAPI, Properties: map[string]any{"Auth": map[string]any{"DefaultAuthorizer": "L",
				"Authorizers": map[string]any{"L": map[string]any{"FunctionArn": fn.ARN("acme", "authz", "")}}}}},
			fnRaw("F", map[string]any{"Events": map[string]any{"E": event("Api", map[string]any{"RestApiId": "app-r", "Path": "/x", "Method": "GET", "Auth": map[string]any{"ApiKeyRequired": true}})}}),
		}, []string{"property Events.E.Properties.Auth", "an API key or function:authz, not both"}},
		{"http api key", ev("HttpApi", map[string]any{"Path": "/x", "Method": "GET", "Auth": map[string]any{"ApiKeyRequired": true}}), []string{"property Events.E.Properties.Auth.ApiKeyRequired"}},
		{"scopes", ev("HttpApi", map[string]any{"Path": "/x", "Method": "GET", "Auth": map[string]any{"AuthorizationScopes": []any{"a"}}}), []string{"property Events.E.Properties.Auth.AuthorizationScopes"}},
		{"route twice", append(httpAPIs(),
			fnRaw("F", map[string]any{"Events": map[string]any{"E": event("HttpApi", map[string]any{"Path": "/x", "Method": "GET"})}}),
			fnRaw("G", map[string]any{"Events": map[string]any{"E": event("HttpApi", map[string]any{"ApiId": "app-http", "Path": "/x", "Method": "GET"})}})),
			[]string{"Resource G", "property Events.E.Properties.Path", "GET /x is also declared by F.E"}},
	} {
		refusal(t, c.name, c.raws, c.want...)
	}
}

// sourcesTemplate is a function with alias live beside the resources its
// events name.
func sourcesTemplate(events map[string]any) []Raw {
	return []Raw{
		{LogicalID: "In", Type: typeQueue, Properties: map[string]any{}},
		{LogicalID: "Users", Type: typeTable, Properties: map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
			"AttributeDefinitions": []any{map[string]any{"AttributeName": "id", "AttributeType": "S"}},
			"StreamSpecification":  map[string]any{"StreamViewType": "NEW_IMAGE"}}},
		{LogicalID: "News", Type: typeTopic, Properties: map[string]any{}},
		{LogicalID: "Up", Type: typeBucket, Properties: map[string]any{}},
		fnRaw("F", map[string]any{"AutoPublishAlias": "live", "Events": events}),
	}
}

func TestTranslateEventSources(t *testing.T) {
	in := translateInputs()
	queueArn := "arn:aws:sqs:local:" + in.AccountID + ":app-In"
	streamArn := "arn:aws:dynamodb:local:" + in.AccountID + ":table/app-Users/stream/latest"
	topicArn := "arn:aws:sns:local:" + in.AccountID + ":app-News"
	target := fn.ARN("acme", "app-F", "live")
	two, three, five := 2, 3, 5
	yes := true
	for _, c := range []struct {
		name  string
		event map[string]any
		want  Resource
		note  string
	}{
		{"schedule", event("Schedule", map[string]any{"Schedule": "rate(1 day)", "Input": `{"a":1}`, "Enabled": false, "Name": "nightly", "Description": "d"}),
			Resource{LogicalID: "FE", Type: typeSchedule, Kind: KindSchedule, Name: "nightly", DependsOn: []string{"F"},
				Schedule: &ScheduleSpec{Expression: "rate(1 day)", State: "DISABLED", Description: "d", TargetARN: target, Input: `{"a":1}`}}, ""},
		{"schedule v2", event("ScheduleV2", map[string]any{"ScheduleExpression": "cron(0 2 * * ? *)", "ScheduleExpressionTimezone": "Europe/Paris",
			"FlexibleTimeWindow": map[string]any{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}, "RetryPolicy": map[string]any{"MaximumRetryAttempts": 2},
			"DeadLetterConfig": map[string]any{"Arn": queueArn}, "State": "ENABLED", "RoleArn": "r", "StartDate": "2026-01-01T00:00:00Z"}),
			Resource{LogicalID: "FE", Type: typeSchedule, Kind: KindSchedule, Name: "app-FE", DependsOn: []string{"F"},
				Schedule: &ScheduleSpec{Expression: "cron(0 2 * * ? *)", Timezone: "Europe/Paris", State: "ENABLED", FlexibleWindowMins: 5, StartDate: "2026-01-01T00:00:00Z",
					TargetARN: target, MaxRetries: &two, DeadLetterARN: queueArn}}, "RoleArn"},
		{"sqs", event("SQS", map[string]any{"Queue": queueArn, "BatchSize": 5, "FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig": map[string]any{"MaximumConcurrency": 2}, "FilterCriteria": map[string]any{"Filters": []any{map[string]any{"Pattern": `{"body":{"k":["v"]}}`}}}}),
			Resource{LogicalID: "FE", Type: typeMapping, Kind: KindMapping, DependsOn: []string{"F", "In"},
				Mapping: &MappingSpec{EventSourceArn: queueArn, FunctionName: "app-F:live", BatchSize: &five, FunctionResponseTypes: []string{"ReportBatchItemFailures"},
					MaximumConcurrency: &two, FilterCriteria: json.RawMessage(`{"Filters":[{"Pattern":"{\"body\":{\"k\":[\"v\"]}}"}]}`)}}, ""},
		{"dynamodb", event("DynamoDB", map[string]any{"Stream": streamArn, "StartingPosition": "TRIM_HORIZON", "BisectBatchOnFunctionError": true,
			"MaximumRetryAttempts": 3, "DestinationConfig": map[string]any{"OnFailure": map[string]any{"Type": "SQS", "Destination": queueArn}}, "ParallelizationFactor": 2}),
			Resource{LogicalID: "FE", Type: typeMapping, Kind: KindMapping, DependsOn: []string{"F", "Users"},
				Mapping: &MappingSpec{EventSourceArn: streamArn, FunctionName: "app-F:live", StartingPosition: "TRIM_HORIZON", BisectBatchOnFunctionError: &yes,
					MaximumRetryAttempts: &three, OnFailure: queueArn}}, "ParallelizationFactor"},
		{"sns", event("SNS", map[string]any{"Topic": topicArn, "FilterPolicy": map[string]any{"kind": []any{"a"}}, "FilterPolicyScope": "MessageBody"}),
			Resource{LogicalID: "FE", Type: typeSubscription, Kind: KindSubscription, DependsOn: []string{"F", "News"},
				Subscription: &SubscriptionSpec{TopicARN: topicArn, Protocol: "lambda", Endpoint: target,
					Attributes: map[string]string{"FilterPolicy": `{"kind":["a"]}`, "FilterPolicyScope": "MessageBody"}}}, ""},
		{"s3", event("S3", map[string]any{"Bucket": "app-up", "Events": "s3:ObjectCreated:*",
			"Filter": map[string]any{"S3Key": map[string]any{"Rules": []any{map[string]any{"Name": "suffix", "Value": ".png"}, map[string]any{"Name": "prefix", "Value": "in/"}}}}}),
			Resource{LogicalID: "Up", Type: typeBucket, Kind: KindBucket, Name: "app-up",
				Bucket: &BucketSpec{Notifications: []BucketNotification{{Kind: "lambda", Target: target, Events: []string{"s3:ObjectCreated:*"}, Prefix: "in/", Suffix: ".png"}}}}, ""},
	} {
		raws := sourcesTemplate(map[string]any{"E": c.event})
		raws[4].DependsOn = []string{"In", "News", "Up", "Users"} // what Resolve adds for the references
		if c.name == "s3" {
			raws[3].DependsOn = []string{"F"}
		}
		rs := translate(t, raws...)
		if got := find(t, rs, c.want.LogicalID); !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, *got, c.want)
		}
		if f := find(t, rs, "F"); c.note != "" && !hasNote(f, c.note) {
			t.Errorf("%s: function notes %q lack %s", c.name, f.Notes, c.note)
		}
	}
}

func TestTranslateEventSourceRefusals(t *testing.T) {
	for _, c := range []struct {
		name  string
		event map[string]any
		want  string
	}{
		{"schedule", event("Schedule", map[string]any{"Input": "{}"}), "property Events.E.Properties.Schedule"},
		{"schedule dlq", event("Schedule", map[string]any{"Schedule": "rate(1 hour)", "DeadLetterConfig": map[string]any{"Type": "SQS"}}), "property Events.E.Properties.DeadLetterConfig.Arn"},
		{"v2 group", event("ScheduleV2", map[string]any{"ScheduleExpression": "rate(1 hour)", "GroupName": "reports"}), "property Events.E.Properties.GroupName"},
		{"v2 window", event("ScheduleV2", map[string]any{"ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": map[string]any{"Mode": "FLEXIBLE"}}), "property Events.E.Properties.FlexibleTimeWindow.MaximumWindowInMinutes"},
		{"sqs queue", event("SQS", map[string]any{"BatchSize": 1}), "property Events.E.Properties.Queue"},
		{"sqs response", event("SQS", map[string]any{"Queue": "q", "FunctionResponseTypes": []any{"All"}}), "property Events.E.Properties.FunctionResponseTypes"},
		{"stream position", event("DynamoDB", map[string]any{"Stream": "s"}), "property Events.E.Properties.StartingPosition"},
		{"tumbling", event("DynamoDB", map[string]any{"Stream": "s", "StartingPosition": "LATEST", "TumblingWindowInSeconds": 5}), "property Events.E.Properties.TumblingWindowInSeconds"},
		{"sns queue", event("SNS", map[string]any{"Topic": "t", "SqsSubscription": true}), "property Events.E.Properties.SqsSubscription"},
		{"s3 foreign", event("S3", map[string]any{"Bucket": "elsewhere", "Events": "s3:ObjectCreated:*"}), "property Events.E.Properties.Bucket"},
		{"s3 rule", event("S3", map[string]any{"Bucket": "app-up", "Events": "s3:ObjectCreated:*", "Filter": map[string]any{"S3Key": map[string]any{"Rules": []any{map[string]any{"Name": "middle", "Value": "x"}}}}}), "property Events.E.Properties.Filter.S3Key.Rules[0].Name"},
		{"s3 events", event("S3", map[string]any{"Bucket": "app-up"}), "property Events.E.Properties.Events"},
	} {
		refusal(t, c.name, sourcesTemplate(map[string]any{"E": c.event}), "Resource F (AWS::Serverless::Function)", c.want)
	}
}
