package stack

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

// probeTemplate wraps a YAML value as the Value property of resource Probe.
func probeTemplate(value string) string {
	return "Resources:\n  Probe:\n    Type: AWS::SNS::Subscription\n    Properties:\n      Value: " + value + "\n"
}

func TestParseShortForms(t *testing.T) {
	tests := []struct {
		yaml string
		want any
	}{
		{`!Ref Env`, map[string]any{"Ref": "Env"}},
		{`!GetAtt Fn.Arn`, map[string]any{"Fn::GetAtt": []any{"Fn", "Arn"}}},
		{`!GetAtt Res.Attr.Deep`, map[string]any{"Fn::GetAtt": []any{"Res", "Attr.Deep"}}},
		{`!GetAtt [Fn, Arn]`, map[string]any{"Fn::GetAtt": []any{"Fn", "Arn"}}},
		{`!Sub "${A}-x"`, map[string]any{"Fn::Sub": "${A}-x"}},
		{`!Sub ["${A}", {A: !Ref B}]`, map[string]any{"Fn::Sub": []any{"${A}", map[string]any{"A": map[string]any{"Ref": "B"}}}}},
		{`!Join [",", [a, b]]`, map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}}},
		{`!Select [0, !Split [",", "a,b"]]`, map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::Split": []any{",", "a,b"}}}}},
		{`!If [C, 1, 2.5]`, map[string]any{"Fn::If": []any{"C", 1, 2.5}}},
		{`!Equals [a, b]`, map[string]any{"Fn::Equals": []any{"a", "b"}}},
		{`!Not [!Condition C]`, map[string]any{"Fn::Not": []any{map[string]any{"Condition": "C"}}}},
		{`!And [!Condition A, !Condition B]`, map[string]any{"Fn::And": []any{map[string]any{"Condition": "A"}, map[string]any{"Condition": "B"}}}},
		{`!Or [!Condition A, !Condition B]`, map[string]any{"Fn::Or": []any{map[string]any{"Condition": "A"}, map[string]any{"Condition": "B"}}}},
		{`!FindInMap [M, K, V]`, map[string]any{"Fn::FindInMap": []any{"M", "K", "V"}}},
		{`!Base64 text`, map[string]any{"Fn::Base64": "text"}},
		{`!Base64 {"Fn::Sub": "x"}`, map[string]any{"Fn::Base64": map[string]any{"Fn::Sub": "x"}}},
		{`!Ref 123`, map[string]any{"Ref": "123"}},
		{`[1, 2.5, true, "3", null]`, []any{1, 2.5, true, "3", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			tpl, err := Parse([]byte(probeTemplate(tt.yaml)))
			if err != nil {
				t.Fatal(err)
			}
			got := tpl.Resources["Probe"].Properties["Value"]
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	text := "{\n\t\"Transform\": [\"AWS::Serverless-2016-10-31\"],\n\t\"Resources\": {\"F\": {\"Type\": \"AWS::Serverless::Function\",\n\t\"Properties\": {\"MemorySize\": 256, \"Ratio\": 0.5, \"Role\": {\"Fn::GetAtt\": [\"R\", \"Arn\"]}}}}}"
	tpl, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"MemorySize": 256, "Ratio": 0.5, "Role": map[string]any{"Fn::GetAtt": []any{"R", "Arn"}}}
	if got := tpl.Resources["F"].Properties; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if !reflect.DeepEqual(tpl.Transforms, []string{SAMTransform}) {
		t.Errorf("transforms %v", tpl.Transforms)
	}
}

func TestParseSections(t *testing.T) {
	text := `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: an app
Metadata: {Owner: me}
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod], Description: where, NoEcho: true}
  Size: {Type: Number, Default: 5, MinValue: 1, MaxValue: 10.5}
Mappings: {M: {K: {V: 1}}}
Conditions: {IsProd: !Equals [!Ref Env, prod]}
Globals: {Function: {Timeout: 3}}
Resources:
  Base: &base
    Type: AWS::SQS::Queue
    Condition: IsProd
    DependsOn: Other
    DeletionPolicy: Delete
    Metadata: {BuildMethod: go1.x}
  Other:
    <<: *base
    Condition: IsProd
Outputs:
  Out: {Value: !Ref Base, Description: the queue, Condition: IsProd}
`
	tpl, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	dev := "dev"
	if got := tpl.Parameters["Env"]; got.Type != "String" || *got.Default != dev || !reflect.DeepEqual(got.AllowedValues, []string{"dev", "prod"}) || !got.NoEcho || got.Description != "where" {
		t.Errorf("Env %+v", got)
	}
	if got := tpl.Parameters["Size"]; *got.Default != "5" || *got.MinValue != 1 || *got.MaxValue != 10.5 {
		t.Errorf("Size %+v", got)
	}
	if tpl.Description != "an app" || tpl.FormatVersion != "2010-09-09" || tpl.Metadata["Owner"] != "me" {
		t.Errorf("header %q %q %v", tpl.Description, tpl.FormatVersion, tpl.Metadata)
	}
	if tpl.Globals["Function"]["Timeout"] != 3 {
		t.Errorf("globals %v", tpl.Globals)
	}
	base := tpl.Resources["Base"]
	if base.Condition != "IsProd" || !reflect.DeepEqual(base.DependsOn, []any{"Other"}) || base.Metadata["BuildMethod"] != "go1.x" {
		t.Errorf("Base %+v", base)
	}
	if other := tpl.Resources["Other"]; other.Type != "AWS::SQS::Queue" {
		t.Errorf("merge key: Other %+v", other)
	}
	if out := tpl.Outputs["Out"]; out.Description != "the queue" || out.Condition != "IsProd" {
		t.Errorf("Out %+v", out)
	}
}

func TestParseRefusals(t *testing.T) {
	fnRes := "Transform: AWS::Serverless-2016-10-31\nResources:\n  MyFn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment: "
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "the template is empty"},
		{"not a mapping", "- a\n- b\n", "must be a mapping of sections"},
		{"bad yaml", "Resources: [\n", "not valid YAML"},
		{"bad json", `{"Resources": }`, "not valid JSON"},
		{"format version", "AWSTemplateFormatVersion: 2011-01-01\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "AWSTemplateFormatVersion: 2011-01-01 is not a version"},
		{"min length", "Parameters: {P: {Type: String, MinLength: two}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Parameter P, MinLength: must be an integer, not two"},
		{"unknown section", "Resource:\n  A: {Type: AWS::SQS::Queue}\n", "template section Resource is not one"},
		{"no resources", "Description: x\n", "Resources: the template declares no resources"},
		{"resources not a map", "Resources: [a]\n", "Resources: must be a mapping"},
		{"no type", "Resources:\n  MyQ:\n    Properties: {}\n", "Resources.MyQ: Type is required"},
		{"bad logical id", "Resources:\n  my-q: {Type: AWS::SQS::Queue}\n", "Resources.my-q: a logical id"},
		{"unknown attribute", "Resources:\n  Q: {Type: AWS::SQS::Queue, Propertes: {}}\n", "Resources.Q.Propertes: not a resource attribute"},
		{"retain", "Resources:\n  Q: {Type: AWS::SQS::Queue, DeletionPolicy: Retain}\n", "Resources.Q.DeletionPolicy: Retain is not supported"},
		{"properties not a map", "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: [a]}\n", "Resources.Q.Properties: must be a mapping"},
		{"unknown tag", fnRes + "!Foo x\n", "Resources.MyFn.Properties.Environment (line 6): !Foo is not a CloudFormation intrinsic function"},
		{"ref of a list", fnRes + "!Ref [a]\n", "Resources.MyFn.Properties.Environment (line 6): !Ref takes a scalar, not a list"},
		{"getatt without dot", fnRes + "!GetAtt Fn\n", `Resources.MyFn.Properties.Environment (line 6): !GetAtt "Fn" must be Resource.Attribute`},
		{"sub of a mapping", fnRes + "!Sub {a: b}\n", "Resources.MyFn.Properties.Environment (line 6): !Sub takes a string or a list"},
		{"join of a scalar", fnRes + "!Join x\n", "!Join takes a list, not a scalar"},
		{"nested bad tag", fnRes + "{Variables: {A: !Sub [x, {B: !Nope y}]}}\n", "Resources.MyFn.Properties.Environment.Variables.A.Fn::Sub[1].B (line 6): !Nope"},
		{"duplicate key", "Resources:\n  Q: {Type: AWS::SQS::Queue}\n  Q: {Type: AWS::SQS::Queue}\n", "Resources.Q (line 3): key Q appears twice"},
		{"no transform", "Resources:\n  F: {Type: AWS::Serverless::Function}\n", "Resources.F: AWS::Serverless resources need `Transform: AWS::Serverless-2016-10-31`"},
		{"other transform", "Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Transform AWS::LanguageExtensions is not supported"},
		{"globals section", "Globals: {Functions: {Timeout: 3}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Globals.Functions: not a Globals section"},
		{"globals property", "Globals: {Function: {FunctionName: x}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Globals.Function.FunctionName: not a property Globals may set"},
		{"parameter property", "Parameters: {P: {Type: String, Defaults: x}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Parameter P: Defaults is not a parameter property"},
		{"parameter type missing", "Parameters: {P: {Default: x}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Parameter P: Type is required"},
		{"parameter clash", "Parameters: {Q: {Type: String, Default: x}}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n", "Resources.Q: a parameter has the same name"},
		{"export", "Resources:\n  Q: {Type: AWS::SQS::Queue}\nOutputs: {O: {Value: x, Export: {Name: y}}}\n", "Outputs.O.Export: cross-stack exports are not supported"},
		{"output no value", "Resources:\n  Q: {Type: AWS::SQS::Queue}\nOutputs: {O: {Description: x}}\n", "Outputs.O: Value is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.text))
			wantRefusal(t, err, tt.want)
		})
	}
}

// wantRefusal checks err is a ValidationError whose message holds want.
func wantRefusal(t *testing.T, err error, want string) {
	t.Helper()
	var fe *fn.Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a refusal holding %q", err, want)
	}
	if fe.Type != ValidationError || fe.Status != 400 {
		t.Errorf("type %s status %d", fe.Type, fe.Status)
	}
	if !strings.Contains(fe.Message, want) {
		t.Errorf("message %q\nwant it to hold %q", fe.Message, want)
	}
}
