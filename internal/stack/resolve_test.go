package stack

import (
	"os"
	"reflect"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func TestResolveHelloWorld(t *testing.T) {
	text, err := os.ReadFile("testdata/parse/hello-world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := testInputs()
	in.Stack = "sam-app"
	res := resolveText(t, string(text), in)
	if res.Description != "sam-app\nSample SAM Template for sam-app\n" {
		t.Errorf("description %q", res.Description)
	}
	if len(res.Resources) != 1 {
		t.Fatalf("resources %+v", res.Resources)
	}
	want := Raw{LogicalID: "HelloWorldFunction", Type: "AWS::Serverless::Function", Properties: map[string]any{
		"CodeUri": "hello_world/", "Handler": "app.lambda_handler", "Runtime": "python3.9",
		"Architectures": []any{"x86_64"}, "Timeout": 3, "MemorySize": 128,
		"Events": map[string]any{"HelloWorld": map[string]any{"Type": "Api",
			"Properties": map[string]any{"Path": "/hello", "Method": "get"}}},
	}}
	if !reflect.DeepEqual(res.Resources[0], want) {
		t.Errorf("got  %#v\nwant %#v", res.Resources[0], want)
	}
	acct := fn.AccountID("t1")
	wantOut := []Output{
		{Key: "HelloWorldApi", Value: "https://sam-app-serverlessrestapi.execute-api." + fn.Region + ".amazonaws.com/Prod/hello/",
			Description: "API Gateway endpoint URL for Prod stage for Hello World function"},
		{Key: "HelloWorldFunction", Value: fn.ARN("t1", "sam-app-HelloWorldFunction", ""), Description: "Hello World Lambda Function ARN"},
		{Key: "HelloWorldFunctionIamRole", Value: "arn:aws:iam::" + acct + ":role/sam-app-HelloWorldFunction-Role",
			Description: "Implicit IAM Role created for Hello World function"},
	}
	if !reflect.DeepEqual(res.Outputs, wantOut) {
		t.Errorf("outputs\n got  %+v\n want %+v", res.Outputs, wantOut)
	}
}

const paramsFrame = `Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Tier: {Type: String, Default: a1, AllowedPattern: "[a-z][0-9]", ConstraintDescription: "Tier is a letter and a digit"}
  Name: {Type: String, Default: ab, MinLength: 2, MaxLength: 4}
  Size: {Type: Number, Default: 5, MinValue: 1, MaxValue: 10}
  Zones: {Type: CommaDelimitedList, Default: "x,y", AllowedValues: [x, y, z]}
  Ports: {Type: List<Number>, Default: "80, 443"}
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties: {Env: !Ref Env, Zones: !Ref Zones, Ports: !Ref Ports}
`

func TestResolveParameters(t *testing.T) {
	res := resolveText(t, paramsFrame, testInputs())
	want := map[string]string{"Env": "dev", "Tier": "a1", "Name": "ab", "Size": "5", "Zones": "x,y", "Ports": "80, 443"}
	if !reflect.DeepEqual(res.Parameters, want) {
		t.Errorf("parameters %v", res.Parameters)
	}
	q := findRaw(t, res, "Q")
	if !reflect.DeepEqual(q.Properties["Ports"], []any{"80", "443"}) || !reflect.DeepEqual(q.Properties["Zones"], []any{"x", "y"}) {
		t.Errorf("lists %v", q.Properties)
	}

	in := testInputs()
	in.Parameters = map[string]string{"Env": "prod", "Size": "7.5", "Zones": "z"}
	res = resolveText(t, paramsFrame, in)
	if res.Parameters["Env"] != "prod" || res.Parameters["Size"] != "7.5" || findRaw(t, res, "Q").Properties["Env"] != "prod" {
		t.Errorf("override: %v", res.Parameters)
	}
}

func TestResolveParameterRefusals(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		text      string
		want      string
	}{
		{"not allowed", map[string]string{"Env": "test"}, paramsFrame, `Parameter Env: "test" is not one of the AllowedValues dev, prod`},
		{"constraint description", map[string]string{"Tier": "1a"}, paramsFrame, "Parameter Tier: Tier is a letter and a digit"},
		{"too short", map[string]string{"Name": "a"}, paramsFrame, `Parameter Name: "a" is shorter than MinLength 2`},
		{"too long", map[string]string{"Name": "abcde"}, paramsFrame, `"abcde" is longer than MaxLength 4`},
		{"not a number", map[string]string{"Size": "five"}, paramsFrame, `Parameter Size: "five" is not a number`},
		{"too big", map[string]string{"Size": "11"}, paramsFrame, "11 is more than MaxValue 10"},
		{"too small", map[string]string{"Size": "0"}, paramsFrame, "0 is less than MinValue 1"},
		{"list element", map[string]string{"Zones": "x,w"}, paramsFrame, `Parameter Zones: "w" is not one of the AllowedValues`},
		{"list number", map[string]string{"Ports": "80,http"}, paramsFrame, `Parameter Ports: "http" is not a number`},
		{"unknown override", map[string]string{"Nope": "x"}, paramsFrame, "parameter override Nope names no parameter of the template (it declares Env, Name, Ports, Size, Tier, Zones)"},
		{"no value", nil, "Parameters: {P: {Type: String}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Parameter P has no value and no Default: pass it with --parameter-overrides P=VALUE"},
		{"ssm type", nil, "Parameters: {P: {Type: \"AWS::SSM::Parameter::Value<String>\", Default: /x}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Parameter P: Type AWS::SSM::Parameter::Value<String> is not supported"},
		{"bad pattern", nil, "Parameters: {P: {Type: String, Default: x, AllowedPattern: \"(\"}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Parameter P: AllowedPattern \"(\" is not a regular expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			in := testInputs()
			in.Parameters = tt.overrides
			_, err = Resolve(tpl, in)
			wantRefusal(t, err, tt.want)
		})
	}
}

const conditionsFrame = `Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Alarms:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      Tags: !If [IsProd, [{Key: env, Value: prod}], !Ref AWS::NoValue]
Outputs:
  AlarmTopic: {Value: !Ref Alarms, Condition: IsProd}
  JobsUrl: {Value: !Ref Jobs}
`

func TestResolveConditions(t *testing.T) {
	res := resolveText(t, conditionsFrame, testInputs())
	if len(res.Resources) != 1 || res.Resources[0].LogicalID != "Jobs" {
		t.Fatalf("resources %+v", res.Resources)
	}
	if _, ok := res.Resources[0].Properties["Tags"]; ok {
		t.Errorf("Tags kept: %v", res.Resources[0].Properties)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Key != "JobsUrl" {
		t.Errorf("outputs %+v", res.Outputs)
	}
	in := testInputs()
	in.Parameters = map[string]string{"Env": "prod"}
	res = resolveText(t, conditionsFrame, in)
	if len(res.Resources) != 2 || len(res.Outputs) != 2 {
		t.Errorf("prod: %+v %+v", res.Resources, res.Outputs)
	}
	if tags := findRaw(t, res, "Jobs").Properties["Tags"]; !reflect.DeepEqual(tags, []any{map[string]any{"Key": "env", "Value": "prod"}}) {
		t.Errorf("tags %v", tags)
	}
}

func TestResolveRefusals(t *testing.T) {
	const head = "Transform: AWS::Serverless-2016-10-31\nParameters:\n  Env: {Type: String, Default: dev}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
	tests := []struct{ name, text, want string }{
		{"ref to dropped", head + "Resources:\n  A: {Type: AWS::SNS::Topic, Condition: IsProd}\n  B: {Type: AWS::SQS::Queue, Properties: {X: !Ref A}}\n",
			"Resource B (AWS::SQS::Queue), property X.Ref: refers to A, which is left out: its Condition IsProd is false"},
		{"dependson dropped", head + "Resources:\n  A: {Type: AWS::SNS::Topic, Condition: IsProd}\n  B: {Type: AWS::SQS::Queue, DependsOn: [A]}\n",
			"Resource B (AWS::SQS::Queue), property DependsOn[0]: A is left out: its Condition IsProd is false"},
		{"dependson unknown", head + "Resources:\n  B: {Type: AWS::SQS::Queue, DependsOn: C}\n", "property DependsOn[0]: C is not a resource of the template"},
		{"output to dropped", head + "Resources:\n  A: {Type: AWS::SNS::Topic, Condition: IsProd}\nOutputs:\n  O: {Value: !Ref A}\n",
			"Output O, Value.Ref: refers to A, which is left out"},
		{"output list", head + "Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Value: !Split [\",\", \"a,b\"]}\n", "Output O, Value: must be a string, not a list"},
		{"output condition unknown", head + "Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Value: x, Condition: Nope}\n", "Output O, Condition: Nope is not a condition"},
		{"resource condition unknown", head + "Resources:\n  A: {Type: AWS::SNS::Topic, Condition: Nope}\n", "Resource A (AWS::SNS::Topic), Condition: Nope is not a condition"},
		{"condition cycle", "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Condition A refers to itself"},
		{"condition unknown ref", "Conditions:\n  A: !Not [!Condition B]\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Conditions.A.Fn::Not[0].Condition: B is not a condition"},
		{"condition shape", "Conditions:\n  A: yes\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", `Conditions.A: a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition, not "yes"`},
		{"condition resource ref", "Conditions:\n  A: !Equals [!Ref Q, x]\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Conditions.A.Fn::Equals.Ref: Q: a condition may refer only to parameters"},
		{"and arity", "Conditions:\n  A: !And [!Equals [a, a]]\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Fn::And takes a list of 2 to 10 arguments"},
		{"name cycle", "Resources:\n  A: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt B.QueueName}}\n  B: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub \"${A.QueueName}-b\"}}\n",
			"the names of resources B → A → B refer to each other in a cycle"},
		{"self name", "Resources:\n  A: {Type: AWS::SNS::Topic, Properties: {TopicName: !GetAtt A.TopicName}}\n", "the names of resources A → A refer to each other"},
		{"version", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F: {Type: AWS::Serverless::Function, Properties: {AutoPublishAlias: live}}\n  Q: {Type: AWS::SQS::Queue, Properties: {X: !Ref F.Version}}\n",
			"Resource Q (AWS::SQS::Queue), property X.Ref: F.Version: a function's version is known only once the deploy published it"},
		{"no alias", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F: {Type: AWS::Serverless::Function}\n  Q: {Type: AWS::SQS::Queue, Properties: {X: !Ref F.Alias}}\n", "F.Alias is not a parameter or resource"},
		{"role given", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F: {Type: AWS::Serverless::Function, Properties: {Role: arn:x}}\n  Q: {Type: AWS::SQS::Queue, Properties: {X: !GetAtt FRole.Arn}}\n", "FRole is not a parameter or resource"},
		{"no implicit api", "Transform: AWS::Serverless-2016-10-31\nResources:\n  F: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: Api, Properties: {RestApiId: !Ref A}}}}}\n  A: {Type: AWS::Serverless::Api}\nOutputs:\n  O: {Value: !Ref ServerlessRestApi}\n", "ServerlessRestApi is not a parameter or resource"},
		{"ignore globals", "Transform: AWS::Serverless-2016-10-31\nGlobals: {Function: {Timeout: 3}}\nResources:\n  F: {Type: AWS::Serverless::Function, IgnoreGlobals: [MemorySize]}\n", "Resource F, IgnoreGlobals: MemorySize is not a property Globals.Function sets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Resolve(tpl, testInputs())
			wantRefusal(t, err, tt.want)
		})
	}
}
