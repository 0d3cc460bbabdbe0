package stack

import (
	"reflect"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

const globalsFrame = `Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: dev}
Globals:
  Function:
    Runtime: python3.12
    Timeout: 3
    Layers: [l1]
    Environment:
      Variables: {STAGE: !Ref Env, SHARED: global}
    DeploymentPreference: {Enabled: false, Type: Canary10Percent5Minutes}
    Tags: !Ref AWS::NoValue
  Api:
    Cors: "'*'"
  SimpleTable:
    SSESpecification: {SSEEnabled: true}
Resources:
  Plain:
    Type: AWS::Serverless::Function
  Own:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 10
      Layers: [l2]
      Environment:
        Variables: {SHARED: local, MINE: x}
      DeploymentPreference: {Type: Linear10PercentEvery1Minute}
      Tags: {team: a}
  Ignoring:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Layers, Environment]
  IgnoringAll:
    Type: AWS::Serverless::Function
    IgnoreGlobals: "*"
    Properties: {Timeout: 5}
  Shapes:
    Type: AWS::Serverless::Function
    Properties:
      Layers: {"Fn::Split": [",", "a,b"]}
      Environment: !If [Never, x, {Variables: {ONLY: y}}]
  MyApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod}
  Items:
    Type: AWS::Serverless::SimpleTable
  Queue:
    Type: AWS::SQS::Queue
Conditions:
  Never: !Equals [a, b]
`

func TestResolveGlobals(t *testing.T) {
	res := resolveText(t, globalsFrame, testInputs())
	tests := []struct {
		id   string
		want map[string]any
	}{
		{"Plain", map[string]any{"Runtime": "python3.12", "Timeout": 3, "Layers": []any{"l1"},
			"Environment":          map[string]any{"Variables": map[string]any{"STAGE": "dev", "SHARED": "global"}},
			"DeploymentPreference": map[string]any{"Enabled": false, "Type": "Canary10Percent5Minutes"}}},
		{"Own", map[string]any{"Runtime": "python3.12", "Timeout": 10, "Layers": []any{"l1", "l2"},
			"Environment":          map[string]any{"Variables": map[string]any{"STAGE": "dev", "SHARED": "local", "MINE": "x"}},
			"DeploymentPreference": map[string]any{"Enabled": false, "Type": "Linear10PercentEvery1Minute"},
			"Tags":                 map[string]any{"team": "a"}}},
		{"Ignoring", map[string]any{"Runtime": "python3.12", "Timeout": 3,
			"DeploymentPreference": map[string]any{"Enabled": false, "Type": "Canary10Percent5Minutes"}}},
		{"IgnoringAll", map[string]any{"Timeout": 5}},
		// An intrinsic is a scalar to the merge: the resource's wins whole.
		{"Shapes", map[string]any{"Runtime": "python3.12", "Timeout": 3, "Layers": []any{"a", "b"},
			"Environment":          map[string]any{"Variables": map[string]any{"ONLY": "y"}},
			"DeploymentPreference": map[string]any{"Enabled": false, "Type": "Canary10Percent5Minutes"}}},
		{"MyApi", map[string]any{"StageName": "Prod", "Cors": "'*'"}},
		{"Items", map[string]any{"SSESpecification": map[string]any{"SSEEnabled": true}}},
		{"Queue", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := findRaw(t, res, tt.id).Properties; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
	var ids []string
	for _, r := range res.Resources {
		ids = append(ids, r.LogicalID)
	}
	if want := []string{"Ignoring", "IgnoringAll", "Items", "MyApi", "Own", "Plain", "Queue", "Shapes"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("order %v", ids)
	}
}

const generatedFrame = `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    AutoPublishAlias: live
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-api"
      Events:
        Get: {Type: HttpApi, Properties: {Path: /items, Method: get}}
  Worker:
    Type: AWS::Serverless::Function
    DependsOn: [Jobs, Api, Jobs, ServerlessHttpApi, ApiRole]
    Properties:
      Environment:
        Variables:
          API_ALIAS: !Ref Api.Alias
          API_ROLE: !Ref ApiRole
          ROLE_ARN: !GetAtt WorkerRole.Arn
          ENDPOINT: !GetAtt ServerlessHttpApi.ApiEndpoint
          QUEUE: !GetAtt Jobs.Arn
          TABLE: !Sub "${Items}"
          SELF: !Ref Worker
    Metadata:
      Queue: !Ref Jobs
  Jobs:
    Type: AWS::SQS::Queue
  Items:
    Type: AWS::Serverless::SimpleTable
`

func TestResolveGeneratedAndDependsOn(t *testing.T) {
	in := testInputs()
	res := resolveText(t, generatedFrame, in)
	w := findRaw(t, res, "Worker")
	vars := w.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	acct := fn.AccountID("t1")
	want := map[string]any{
		"API_ALIAS": fn.ARN("t1", "st-api", "live"),
		"API_ROLE":  "st-api-Role",
		"ROLE_ARN":  "arn:aws:iam::" + acct + ":role/st-Worker-Role",
		"ENDPOINT":  "http://127.0.0.1:8088",
		"QUEUE":     "arn:aws:sqs:" + fn.Region + ":" + acct + ":st-Jobs",
		"TABLE":     "st-Items",
		"SELF":      "st-Worker",
	}
	if !reflect.DeepEqual(vars, want) {
		t.Errorf("got  %#v\nwant %#v", vars, want)
	}
	// The template's DependsOn and the resources referred to, sorted and
	// unique: not generated ids (ApiRole, ServerlessHttpApi), not itself;
	// Api.Alias depends on the function Api.
	if want := []string{"Api", "Items", "Jobs"}; !reflect.DeepEqual(w.DependsOn, want) {
		t.Errorf("DependsOn %v, want %v", w.DependsOn, want)
	}
	if !reflect.DeepEqual(w.Metadata, map[string]any{"Queue": "http://127.0.0.1:9000/" + acct + "/st-Jobs"}) {
		t.Errorf("Metadata %v", w.Metadata)
	}
	if a := findRaw(t, res, "Api"); a.DependsOn != nil || a.Properties["FunctionName"] != "st-api" || a.Properties["AutoPublishAlias"] != "live" {
		t.Errorf("Api %+v", a)
	}
}

func TestResolveExplicitImplicitAPI(t *testing.T) {
	// A template may declare ServerlessRestApi itself; Ref gives its own.
	text := `Transform: AWS::Serverless-2016-10-31
Resources:
  ServerlessRestApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod, Name: mine}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events: {E: {Type: Api, Properties: {Path: /, Method: get}}}
Outputs:
  Root: {Value: !GetAtt ServerlessRestApi.RootResourceId}
`
	res := resolveText(t, text, testInputs())
	if len(res.Outputs) != 1 || res.Outputs[0].Value != "st-serverlessrestapi-root" {
		t.Errorf("outputs %+v", res.Outputs)
	}
}
