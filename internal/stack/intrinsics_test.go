package stack

import (
	"reflect"
	"testing"

	"github.com/updraft-dev/updraft/internal/fn"
)

func testInputs() Inputs {
	return Inputs{Stack: "st", Tenant: "t1", AccountID: fn.AccountID("t1"), Region: fn.Region,
		Endpoint: "http://127.0.0.1:9000", RoutesURL: "http://127.0.0.1:8088"}
}

// intrinsicsFrame is a template whose resource Probe's Value property is
// the value under test.
const intrinsicsFrame = `Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Names: {Type: CommaDelimitedList, Default: "a, b,c"}
  Size: {Type: Number, Default: 5}
Mappings:
  Sizes: {dev: {Mem: 128}, prod: {Mem: 1024}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Equals [!Ref "AWS::Region", local]]
  Neither: !Or [!Condition IsProd, {"Fn::Equals": [x, y]}]
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-jobs"
  Topic:
    Type: AWS::SNS::Topic
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Join ["-", [!Ref "AWS::StackName", !GetAtt Topic.TopicName, items]]
  Probe:
    Type: AWS::SNS::Subscription
    Properties:
      Value: `

func TestIntrinsics(t *testing.T) {
	acct := fn.AccountID("t1")
	tests := []struct {
		name, value string
		want        any // absent: the property is removed
	}{
		{"ref param", `!Ref Env`, "dev"},
		{"ref param long", `{Ref: Env}`, "dev"},
		{"ref list param", `!Ref Names`, []any{"a", "b", "c"}},
		{"ref number param", `!Ref Size`, "5"},
		{"region", `!Ref AWS::Region`, fn.Region},
		{"account", `!Ref AWS::AccountId`, acct},
		{"stack name", `!Ref AWS::StackName`, "st"},
		{"stack id", `!Ref AWS::StackId`, "arn:aws:cloudformation:" + fn.Region + ":" + acct + ":stack/st/updraft"},
		{"partition", `!Ref AWS::Partition`, "aws"},
		{"url suffix", `!Ref AWS::URLSuffix`, "amazonaws.com"},
		{"ref queue", `!Ref Jobs`, "http://127.0.0.1:9000/" + acct + "/st-jobs"},
		{"ref topic generated name", `!Ref Topic`, "arn:aws:sns:" + fn.Region + ":" + acct + ":st-Topic"},
		{"getatt", `!GetAtt Jobs.Arn`, "arn:aws:sqs:" + fn.Region + ":" + acct + ":st-jobs"},
		{"getatt list", `!GetAtt [Jobs, QueueName]`, "st-jobs"},
		{"getatt long", `{"Fn::GetAtt": [Topic, TopicName]}`, "st-Topic"},
		{"getatt long string", `{"Fn::GetAtt": Jobs.QueueName}`, "st-jobs"},
		{"getatt ref attr", `{"Fn::GetAtt": [Jobs, {"Fn::Select": [0, [QueueName]]}]}`, "st-jobs"},
		{"name from references", `!Ref Table`, "st-st-Topic-items"},
		{"sub", `!Sub "${Jobs.Arn}/${Env}/${!Literal}/${AWS::Region}"`, "arn:aws:sqs:" + fn.Region + ":" + acct + ":st-jobs/dev/${Literal}/" + fn.Region},
		{"sub ref resource", `!Sub "q=${Jobs}"`, "q=http://127.0.0.1:9000/" + acct + "/st-jobs"},
		{"sub list", `!Sub ["${A}-${AWS::AccountId}-${Size}", {A: !Ref Env}]`, "dev-" + acct + "-5"},
		{"sub long", `{"Fn::Sub": "${ Env }"}`, "dev"},
		{"sub nested", `!Sub ["${X}", {X: !Select [0, !Split ["/", "p/q"]]}]`, "p"},
		{"join", `!Join [",", [a, !Ref Env, 3]]`, "a,dev,3"},
		{"join list param", `!Join ["-", !Ref Names]`, "a-b-c"},
		{"join long", `{"Fn::Join": ["", [x, y]]}`, "xy"},
		{"select", `!Select [1, !Ref Names]`, "b"},
		{"select string index", `!Select ["0", [x, y]]`, "x"},
		{"select long", `{"Fn::Select": [1, [x, {"Ref": "Env"}]]}`, "dev"},
		{"split", `!Split [",", "a,b"]`, []any{"a", "b"}},
		{"split long", `{"Fn::Split": ["|", !Sub "${Env}|x"]}`, []any{"dev", "x"}},
		{"if false", `!If [IsProd, big, small]`, "small"},
		{"if true", `!If [IsDev, yes, no]`, "yes"},
		{"if long", `{"Fn::If": [Both, 1, 2]}`, 1},
		{"or", `!If [Either, yes, no]`, "yes"},
		{"or false", `!If [Neither, yes, no]`, "no"},
		{"if untaken branch not evaluated", `!If [IsDev, ok, !GetAZs ""]`, "ok"},
		{"if novalue", `!If [IsProd, x, !Ref AWS::NoValue]`, absent{}},
		{"find in map", `!FindInMap [Sizes, !Ref Env, Mem]`, 128},
		{"find in map long", `{"Fn::FindInMap": [Sizes, prod, Mem]}`, 1024},
		{"base64", `!Base64 hello`, "aGVsbG8="},
		{"base64 long", `{"Fn::Base64": !Ref Env}`, "ZGV2"},
		{"novalue list entry", `[a, !Ref AWS::NoValue, b]`, []any{"a", "b"}},
		{"novalue map key", `{K: !Ref AWS::NoValue, L: 1}`, map[string]any{"L": 1}},
		{"novalue", `!Ref AWS::NoValue`, absent{}},
		{"novalue in join", `!Join [",", [a, !Ref AWS::NoValue]]`, "a"},
		{"literals", `{I: 3, F: 2.5, B: true, S: "07"}`, map[string]any{"I": 3, "F": 2.5, "B": true, "S": "07"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := resolveText(t, intrinsicsFrame+tt.value+"\n", testInputs())
			probe := findRaw(t, res, "Probe")
			got, ok := probe.Properties["Value"]
			if _, want := tt.want.(absent); want {
				if ok {
					t.Fatalf("Value %#v, want it removed", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

type absent struct{}

func TestIntrinsicRefusals(t *testing.T) {
	const at = "Resource Probe (AWS::SNS::Subscription), property "
	tests := []struct{ name, value, want string }{
		{"getazs", `!GetAZs ""`, at + "Value.Fn::GetAZs: Fn::GetAZs is not supported"},
		{"import", `{Env: {"Fn::ImportValue": x}}`, at + "Value.Env.Fn::ImportValue: Fn::ImportValue is not supported"},
		{"transform", `{"Fn::Transform": {Name: x}}`, at + "Value.Fn::Transform: Fn::Transform is not supported"},
		{"unknown fn", `{"Fn::Foo": 1}`, at + "Value.Fn::Foo: Fn::Foo is not an intrinsic function"},
		{"unknown ref", `!Ref Nope`, at + "Value.Ref: Nope is not a parameter or resource"},
		{"unknown pseudo", `!Ref AWS::Nope`, "AWS::Nope is not a pseudo parameter"},
		{"ref not string", `{Ref: [a]}`, "Ref takes a name, not a list"},
		{"unknown attribute", `!GetAtt Jobs.Nope`, at + "Value.Fn::GetAtt: Jobs: AWS::SQS::Queue has no attribute Nope"},
		{"unreferable type", `!Ref Probe`, "resources of type AWS::SNS::Subscription cannot be referred to"},
		{"getatt arity", `{"Fn::GetAtt": [Jobs]}`, "Fn::GetAtt takes a list of 2 arguments"},
		{"select outside", `!Select [5, [a]]`, "Fn::Select's index 5 is outside the list of 1"},
		{"select index", `!Select [x, [a]]`, `Fn::Select's index "x" is not an integer`},
		{"select of scalar", `!Select [0, a]`, "Fn::Select takes a list to select from, not a string"},
		{"join of scalar", `!Join [",", a]`, "Fn::Join takes a list of values to join, not a string"},
		{"join of maps", `!Join [",", [{a: b}]]`, "must be a string, not a mapping"},
		{"split no delim", `!Split ["", a]`, "Fn::Split needs a delimiter"},
		{"find in map key", `!FindInMap [Sizes, test, Mem]`, "Fn::FindInMap: mapping Sizes has no key test"},
		{"find in map name", `!FindInMap [Nope, test, Mem]`, "Fn::FindInMap: Nope is not a mapping"},
		{"find in map third", `!FindInMap [Sizes, dev, Disk]`, "mapping Sizes.dev has no key Disk"},
		{"equals outside conditions", `!Equals [a, b]`, "Fn::Equals is allowed only in the Conditions section"},
		{"sub of a list", `!Sub "${Names}"`, "Fn::Sub: ${Names} is a list: use Fn::Join"},
		{"sub unclosed", `!Sub "${Env"`, "${ without a closing }"},
		{"sub unknown", `!Sub "${Nope}"`, at + "Value.Fn::Sub: Nope is not a parameter or resource"},
		{"sub bad attr", `!Sub "${Jobs.Nope}"`, "AWS::SQS::Queue has no attribute Nope"},
		{"if unknown condition", `!If [Nope, a, b]`, "Nope is not a condition of the template"},
		{"if arity", `!If [IsProd, a]`, "Fn::If takes a list of 3 arguments"},
		{"novalue in sub", `!Sub ["${A}", {A: !Ref AWS::NoValue}]`, "AWS::NoValue cannot stand where a string is needed"},
		{"notification arns", `!Ref AWS::NotificationARNs`, "AWS::NotificationARNs is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte(intrinsicsFrame + tt.value + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Resolve(tpl, testInputs())
			wantRefusal(t, err, tt.want)
		})
	}
}

func resolveText(t *testing.T, text string, in Inputs) *Resolved {
	t.Helper()
	tpl, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Resolve(tpl, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func findRaw(t *testing.T, res *Resolved, id string) Raw {
	t.Helper()
	for _, r := range res.Resources {
		if r.LogicalID == id {
			return r
		}
	}
	t.Fatalf("no resource %s in %v", id, res.Resources)
	return Raw{}
}
